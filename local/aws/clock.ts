/** The time source the local services take, so that tests reach an expiry without waiting: epoch milliseconds. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
