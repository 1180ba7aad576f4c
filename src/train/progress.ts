/**
 * @file Whether a progress bar may be drawn live: on a terminal, outside CI (the training session's
 * bar, src/train/session.ts).
 */
/** A live bar only makes sense on an interactive terminal and outside CI. */
export function liveStreamFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): NodeJS.WriteStream | null {
  return stream.isTTY && !env.CI ? stream : null;
}
