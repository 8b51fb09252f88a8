/** Entry point: load /config.json, configure Amplify, render. A broken config is shown, not swallowed. */
import '@aws-amplify/ui-react/styles.css';
import '@aws-amplify/ui-react-liveness/styles.css';
import './app.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { configureAmplify } from './amplify';
import { parseAppConfig } from './config';

async function loadConfig() {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`/config.json answered HTTP ${response.status}`);
  return parseAppConfig(await response.json());
}

const root = createRoot(document.getElementById('root')!);

loadConfig().then(
  (config) => {
    configureAmplify(config);
    root.render(
      <StrictMode>
        <App config={config} />
      </StrictMode>,
    );
  },
  (error: unknown) => {
    root.render(
      <section className="screen" role="alert">
        <h1>The app is not configured</h1>
        <p>{error instanceof Error ? error.message : String(error)}</p>
      </section>,
    );
  },
);
