// The console's one way to the fleetgate API: same-origin fetches that carry the session cookie
// and, on writes, the session's CSRF token. Errors arrive in the OpenAI shape and become ApiError;
// a 401 (session expired or ended) also tells the app to go back to sign-in.

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

let csrf = '';
let onSignedOut: () => void = () => {};

export function bindSession(token: string, signedOut: () => void): void {
  csrf = token;
  onSignedOut = signedOut;
}

// A JSON request (`body` is serialised), or with `contentType` a text body sent as it is (an
// uploaded file).
export async function api<T>(path: string, method = 'GET', body?: unknown, contentType?: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (method !== 'GET') headers['x-fleetgate-csrf'] = csrf;
  if (body !== undefined) headers['content-type'] = contentType ?? 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : contentType ? String(body) : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (response.status === 204) return undefined as T;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = data?.error ?? {};
    if (response.status === 401) onSignedOut();
    throw new ApiError(response.status, error.code ?? 'error', error.message ?? response.statusText);
  }
  return data as T;
}

export interface Session {
  signed_in: boolean;
  user: string;
  roles: string[];
  regions: string[];
  csrf_token: string;
  expires_ms?: number;
}

export const hasRole = (s: Session, ...roles: string[]) => roles.some((r) => s.roles.includes(r));
export const allRegions = (s: Session) => s.regions.includes('*');
