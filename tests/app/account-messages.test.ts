import { AccountApiError } from '../../app/src/account';
import { accountFailureMessage, freshSignInNeededMessage, idPhotoRefusedMessage } from '../../app/src/messages';

describe('what the user reads about the account API', () => {
  it('explains a replacement refused because the face does not match the video check', () => {
    expect(idPhotoRefusedMessage('NO_MATCH')).toBe(
      'The face on the document does not match the face of your video check. Use your own ID document. ' +
        'Your current ID photo stays registered.',
    );
  });

  it('explains a replacement left unchecked because too many face checks failed', () => {
    expect(idPhotoRefusedMessage('LOCKED_OUT')).toBe(
      'Too many face checks on this account failed recently, so the photo was not checked. Try again later. ' +
        'Your current ID photo stays registered.',
    );
  });

  it('explains the enrollment reasons too', () => {
    expect(idPhotoRefusedMessage('EXPIRED_DOCUMENT')).toBe(
      'This document has expired. Use a valid one. Your current ID photo stays registered.',
    );
  });

  it('gives a plain refusal when the server names no reason', () => {
    expect(idPhotoRefusedMessage(undefined)).toBe('We could not use that photo. Your current ID photo stays registered.');
  });

  it('gives a plain refusal for a reason it does not know, whatever its name', () => {
    for (const reason of ['SOMETHING_NEW', 'constructor', 'toString']) {
      expect(idPhotoRefusedMessage(reason)).toBe('We could not use that photo. Your current ID photo stays registered.');
    }
  });

  it('asks for a fresh face sign-in within the window when the API refuses', () => {
    expect(freshSignInNeededMessage('delete your account', 5)).toBe(
      'This needs a recent face sign-in. Sign in again with your face, then delete your account within 5 minutes.',
    );
  });

  it('says a photo still being checked may yet be accepted', () => {
    expect(accountFailureMessage(new AccountApiError('timedOut'))).toBe(
      'There is no answer about your photo yet. It is still being checked and may be accepted later; you can also send it again.',
    );
  });

  it('gives any other failure one plain message', () => {
    expect(accountFailureMessage(new AccountApiError('failed'))).toBe(
      'That did not work, because of a problem on our side or with the connection. Try again in a few minutes.',
    );
  });
});
