/** Calls to the API, with the token when one is set; every failure becomes an `ApiError` with the server's message. */
import type { Run, TweetPage } from './types';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const TOKEN_KEY = 'fmc-api-token';

export const token = {
  get: (): string => localStorage.getItem(TOKEN_KEY) ?? '',
  set: (value: string): void => localStorage.setItem(TOKEN_KEY, value),
};

/** Links (exports, SSE) cannot send a header: they carry the token in the query. */
export function withToken(path: string): string {
  const value = token.get();
  return value === '' ? path : `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(value)}`;
}

async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (token.get() !== '') headers.set('authorization', `Bearer ${token.get()}`);
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers });
  } catch {
    throw new ApiError(0, 'le serveur ne répond pas : vérifiez qu’il tourne (npm start)');
  }
  if (response.status === 204) return undefined as T;
  const body = (await response.json().catch(() => ({}))) as { error?: string };
  if (!response.ok) throw new ApiError(response.status, body.error ?? `erreur ${response.status}`);
  return body as T;
}

export const api = {
  runs: () => request<{ runs: Run[] }>('/api/runs').then((body) => body.runs),
  run: (id: number) => request<Run>(`/api/runs/${id}`),
  upload: (file: File, mode: string, textColumn: string) => {
    const form = new FormData();
    form.set('mode', mode);
    if (textColumn !== '') form.set('textColumn', textColumn);
    form.set('file', file);
    return request<{ id: number }>('/api/runs', { method: 'POST', body: form });
  },
  tweets: (id: number, query: URLSearchParams) => request<TweetPage>(`/api/runs/${id}/tweets?${query.toString()}`),
  remove: (id: number) => request<void>(`/api/runs/${id}`, { method: 'DELETE' }),
};
