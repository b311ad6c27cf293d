// Every call to the studio's server. The session token travels in an HttpOnly cookie set
// when the printed URL was opened, so nothing here ever sees it.

export class ApiError extends Error {
  constructor(public status: number, message: string, public body: any) {
    super(message);
  }
}

export async function api<T = any>(method: string, url: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { error: text };
  }
  if (!res.ok) throw new ApiError(res.status, data?.error ?? `HTTP ${res.status}`, data);
  return data as T;
}

export const q = (s: string) => encodeURIComponent(s);
export const mediaUrl = (path: string) => `/api/media?path=${q(path)}`;
export const objectUrl = (key: string, script: string) => `/api/object/${key}?path=${q(script)}`;
// A still of a cached clip (its middle frame, a small JPEG the server makes once per key).
export const posterUrl = (key: string, script: string) => `/api/poster/${key}?path=${q(script)}`;

export async function upload(name: string, file: Blob): Promise<{ path: string }> {
  const res = await fetch(`/api/upload?name=${q(name)}`, {
    method: 'PUT',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/octet-stream' },
    body: file,
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, data.error ?? `HTTP ${res.status}`, data);
  return data;
}
