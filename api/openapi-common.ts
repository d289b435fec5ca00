import { problemSchema } from './problem';

/** An OpenAPI response whose body is an RFC 9457 problem. */
export const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: problemSchema } } });
