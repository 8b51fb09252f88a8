import { buildServerChallenge, centredOval, randomOval } from '../../../local/rekognition/liveness/challenge';

const WIDTH = 640;
const HEIGHT = 480;
/** The component's static oval: width 0.75-1 of 0.8 of the frame's 3:4 core, centre within 7/16..9/16 of the frame. */
const CORE = (3 / 4) * HEIGHT;

describe('the oval a session is given', () => {
  it("places a random oval within the ranges of the component's own oval", () => {
    for (let i = 0; i < 200; i += 1) {
      const oval = randomOval(WIDTH, HEIGHT);
      expect(oval.Width).toBeGreaterThanOrEqual(Math.floor(0.75 * 0.8 * CORE));
      expect(oval.Width).toBeLessThanOrEqual(Math.floor(0.8 * CORE));
      expect(oval.CenterX).toBeGreaterThanOrEqual(Math.floor((7 * WIDTH) / 16));
      expect(oval.CenterX).toBeLessThanOrEqual(Math.floor((9 * WIDTH) / 16));
      expect(oval.CenterY).toBeGreaterThanOrEqual(Math.floor((7 * HEIGHT) / 16));
      expect(oval.CenterY).toBeLessThanOrEqual(Math.floor((9 * HEIGHT) / 16));
      expect(oval.Height).toBeLessThanOrEqual(0.95 * HEIGHT);
    }
  });

  it('puts the centred oval in the middle of the random range', () => {
    expect(centredOval(WIDTH, HEIGHT)).toEqual({
      Width: Math.floor(0.875 * 0.8 * CORE),
      Height: Math.floor(1.618 * Math.floor(0.875 * 0.8 * CORE)),
      CenterX: WIDTH / 2,
      CenterY: HEIGHT / 2,
    });
  });

  it('gives every session a fresh random oval unless the centred placement is asked for', () => {
    const random = Array.from({ length: 20 }, () => buildServerChallenge('FaceMovementAndLightChallenge', WIDTH, HEIGHT).OvalParameters);
    expect(new Set(random.map((oval) => JSON.stringify(oval))).size).toBeGreaterThan(1);
    const centred = Array.from(
      { length: 5 },
      () => buildServerChallenge('FaceMovementAndLightChallenge', WIDTH, HEIGHT, 'centred').OvalParameters,
    );
    expect(centred).toEqual(Array.from({ length: 5 }, () => centredOval(WIDTH, HEIGHT)));
  });
});
