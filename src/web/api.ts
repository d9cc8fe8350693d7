/** Calls to the API under the page's session cookie; every failure becomes an `ApiError` with the server's message. */
import type { ExplainedTweet, ModelRegistryView, RadarReport, ReviewQueue, Run, Tweet, TweetPage } from './types';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Who the page signed in as; its CSRF token goes with every change the page makes. */
export interface SessionInfo {
  authenticated: boolean;
  user?: string;
  role?: 'viewer' | 'analyst' | 'admin';
  via?: string;
  csrfToken?: string;
  singleSignOn: boolean;
}

let csrfToken = '';

function remember(session: SessionInfo): SessionInfo {
  csrfToken = session.csrfToken ?? '';
  return session;
}

async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (init.method !== undefined && init.method !== 'GET' && csrfToken !== '') headers.set('x-csrf-token', csrfToken);
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

export const session = {
  current: () => request<SessionInfo>('/api/session').then(remember),
  signIn: (name: string, password: string) =>
    request<SessionInfo>('/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, password }) }).then(remember),
  signOut: () => request<void>('/api/session', { method: 'DELETE' }).then(() => remember({ authenticated: false, singleSignOn: false })),
};

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
  correct: (id: number, position: number, labels: Record<string, string>) =>
    request<{ tweet: Tweet }>(`/api/runs/${id}/tweets/${position}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(labels) }),
  explain: (id: number, position: number) => request<ExplainedTweet>(`/api/runs/${id}/tweets/${position}?explain=1`),
  incidents: (id: number) => request<RadarReport>(`/api/runs/${id}/incidents`),
  review: (runId: number | undefined) => request<ReviewQueue>(`/api/review?limit=50${runId === undefined ? '' : `&run=${runId}`}`),
  models: () => request<ModelRegistryView>('/api/models'),
  trainModel: () => request<ModelRegistryView>('/api/models/train', { method: 'POST' }),
  promoteModel: (id: string, force: boolean) =>
    request<ModelRegistryView>(`/api/models/${id}/promote`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ force }) }),
  rollbackModel: () => request<ModelRegistryView>('/api/models/rollback', { method: 'POST' }),
};
