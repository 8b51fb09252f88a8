import { useEffect, useRef, useState, type ChangeEvent } from 'react';
import { Button, Flex, Image, Loader, Text, VisuallyHidden } from '@aws-amplify/ui-react';
import type { EnrollChallenge } from '../challenge';
import { describeBytes, describeTypes, photoProblem, PICKABLE_TYPES, toUploadJpeg, uploadIdPhoto, UploadError } from '../upload';
import { Screen, type Notice } from './Screen';

const ENROLL_REFUSED: Notice = {
  tone: 'error',
  text:
    'We could not use that photo. Use a sharp photo of your ID document that shows exactly one face, ' +
    'not already registered to another account. Try again with a new photo.',
};

/** Live camera preview that hands back one frame (lossless: it is encoded for upload once, with every photo). */
function CameraCapture({ onCapture, onClose }: { onCapture: (photo: Blob) => void; onClose: (problem?: string) => void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [ready, setReady] = useState(false);
  // The parent re-renders with a new callback; the camera must not restart for that.
  const close = useRef(onClose);
  close.current = onClose;

  useEffect(() => {
    let stream: MediaStream | undefined;
    let cancelled = false;
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: 'environment', width: { ideal: 1280 } }, audio: false })
      .then((granted) => {
        if (cancelled) {
          for (const track of granted.getTracks()) track.stop();
          return;
        }
        stream = granted;
        if (video.current) video.current.srcObject = granted;
      })
      .catch(() => close.current('The camera could not be opened. Allow camera access, or choose a photo file instead.'));
    return () => {
      cancelled = true;
      for (const track of stream?.getTracks() ?? []) track.stop();
    };
  }, []);

  function capture() {
    const frame = video.current;
    if (!frame || frame.videoWidth === 0) return;
    const canvas = document.createElement('canvas');
    canvas.width = frame.videoWidth;
    canvas.height = frame.videoHeight;
    canvas.getContext('2d')?.drawImage(frame, 0, 0);
    canvas.toBlob((blob) => (blob ? onCapture(blob) : onClose('The photo could not be taken. Try again.')), 'image/png');
  }

  return (
    <Flex direction="column" gap="small">
      <video
        ref={video}
        className="camera"
        autoPlay
        playsInline
        muted
        aria-label="Camera preview: hold your ID document in view"
        onLoadedData={() => setReady(true)}
      />
      <Flex gap="small" wrap="wrap">
        <Button variation="primary" onClick={capture} isDisabled={!ready}>
          Take photo
        </Button>
        <Button onClick={() => onClose()}>Cancel</Button>
      </Flex>
    </Flex>
  );
}

export function EnrollScreen({
  challenge,
  previousRefused,
  onUploaded,
}: {
  challenge: EnrollChallenge;
  previousRefused: boolean;
  onUploaded: () => Promise<void>;
}) {
  const [photo, setPhoto] = useState<Blob>();
  const [previewUrl, setPreviewUrl] = useState<string>();
  const [camera, setCamera] = useState(false);
  const [busy, setBusy] = useState(false);
  const [preparing, setPreparing] = useState(false);
  const [notice, setNotice] = useState<Notice | undefined>(previousRefused ? ENROLL_REFUSED : undefined);
  const fileInput = useRef<HTMLInputElement>(null);
  // Only the latest choice may become the photo: an earlier one can finish encoding after it.
  const latestChoice = useRef(0);

  useEffect(() => {
    if (!photo) return setPreviewUrl(undefined);
    const url = URL.createObjectURL(photo);
    setPreviewUrl(url);
    return () => URL.revokeObjectURL(url);
  }, [photo]);

  async function choose(candidate: Blob) {
    const choice = ++latestChoice.current;
    setPhoto(undefined);
    const problem = photoProblem(candidate);
    setNotice(problem ? { tone: 'error', text: problem } : undefined);
    if (problem) return;
    setPreparing(true);
    try {
      const jpeg = await toUploadJpeg(candidate, challenge.maxBytes);
      if (choice === latestChoice.current) setPhoto(jpeg);
    } catch (error) {
      if (choice === latestChoice.current) setNotice({ tone: 'error', text: error instanceof UploadError ? error.message : String(error) });
    } finally {
      if (choice === latestChoice.current) setPreparing(false);
    }
  }

  function onFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (file) void choose(file);
  }

  async function send() {
    if (!photo) return;
    setBusy(true);
    setNotice(undefined);
    try {
      await uploadIdPhoto(challenge, photo);
      await onUploaded();
    } catch (error) {
      setNotice({ tone: 'error', text: error instanceof UploadError ? error.message : String(error) });
      setBusy(false);
    }
  }

  return (
    <Screen title="Register your ID photo" notice={notice}>
      <Text>
        Take or choose a photo of your ID document (passport, ID card or driving licence) with your face clearly visible: a{' '}
        {describeTypes(PICKABLE_TYPES)} photo, sent as a JPEG of up to {describeBytes(challenge.maxBytes)}. It is compared with your face
        each time you sign in.
      </Text>
      {camera ? (
        <CameraCapture
          onCapture={(blob) => {
            setCamera(false);
            void choose(blob);
          }}
          onClose={(problem) => {
            setCamera(false);
            if (problem) setNotice({ tone: 'error', text: problem });
          }}
        />
      ) : (
        <Flex gap="small" wrap="wrap">
          <Button onClick={() => setCamera(true)} isDisabled={busy}>
            Use the camera
          </Button>
          <Button onClick={() => fileInput.current?.click()} isDisabled={busy}>
            Choose a file
          </Button>
          <VisuallyHidden>
            <label>
              ID photo file
              <input ref={fileInput} type="file" name="id-photo" accept={PICKABLE_TYPES.join(',')} onChange={onFile} tabIndex={-1} />
            </label>
          </VisuallyHidden>
        </Flex>
      )}
      {preparing && !camera && <Loader ariaLabel="Preparing your photo" />}
      {previewUrl && !camera && (
        <Flex direction="column" gap="small">
          <Image src={previewUrl} alt="Preview of the ID photo you chose" className="preview" />
          <Button variation="primary" onClick={send} isLoading={busy} loadingText="Checking your photo…">
            Use this photo
          </Button>
        </Flex>
      )}
    </Screen>
  );
}
