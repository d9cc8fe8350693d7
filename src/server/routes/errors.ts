/** What routes throw and answer on failure: an error with its HTTP status, and the body the error handler sends. */
import { z } from 'zod';

export class HttpError extends Error {
  constructor(readonly statusCode: number, message: string) {
    super(message);
  }
}

export const ErrorBody = z.object({ statusCode: z.number(), error: z.string() });
