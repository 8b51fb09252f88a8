/**
 * Choosing an ID photo, shared by enrollment and replacement: the camera or a file, re-encoded as a JPEG within the
 * upload's size limit, previewed, then handed to `onSend`. Problems with the chosen photo go to `onNotice`.
 */
import { useEffect, useRef, useState, type ChangeEvent } from 'react';
import { Button, Flex, Image, Loader, VisuallyHidden } from '@aws-amplify/ui-react';
import { PICKABLE_TYPES, photoProblem, toUploadJpeg, UploadError } from '../upload';
import type { Notice } from './Screen';

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

export function IdPhotoPicker({
  maxBytes,
  busy,
  busyLabel,
  onNotice,
  onSend,
}: {
  maxBytes: number;
  /** The chosen photo is being sent and checked. */
  busy: boolean;
  busyLabel: string;
  /** A problem with the chosen photo, or undefined when a new choice clears the last one. */
  onNotice: (notice?: Notice) => void;
  onSend: (jpeg: Blob) => void;
}) {
  const [photo, setPhoto] = useState<Blob>();
  const [previewUrl, setPreviewUrl] = useState<string>();
  const [camera, setCamera] = useState(false);
  const [preparing, setPreparing] = useState(false);
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
    onNotice(problem ? { tone: 'error', text: problem } : undefined);
    if (problem) return;
    setPreparing(true);
    try {
      const jpeg = await toUploadJpeg(candidate, maxBytes);
      if (choice === latestChoice.current) setPhoto(jpeg);
    } catch (error) {
      if (choice === latestChoice.current) onNotice({ tone: 'error', text: error instanceof UploadError ? error.message : String(error) });
    } finally {
      if (choice === latestChoice.current) setPreparing(false);
    }
  }

  function onFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (file) void choose(file);
  }

  return (
    <>
      {camera ? (
        <CameraCapture
          onCapture={(blob) => {
            setCamera(false);
            void choose(blob);
          }}
          onClose={(problem) => {
            setCamera(false);
            if (problem) onNotice({ tone: 'error', text: problem });
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
      {previewUrl && photo && !camera && (
        <Flex direction="column" gap="small">
          <Image src={previewUrl} alt="Preview of the ID photo you chose" className="preview" />
          <Button variation="primary" onClick={() => onSend(photo)} isLoading={busy} loadingText={busyLabel}>
            Use this photo
          </Button>
        </Flex>
      )}
    </>
  );
}
