// fetch over the public API (SPEC §3) on the page's own host; failures become ApiError.
import { type Problem, problemMessage } from "./problem";
import { newTraceparent } from "./traceparent";

export class ApiError extends Error {
  constructor(
    readonly status: number | null,
    readonly problem: Problem | null,
    /** Seconds from a 429's or 503's `Retry-After`, when the server sent one. */
    readonly retryAfter: number | null = null,
  ) {
    super(problemMessage(problem, status ?? undefined));
    this.name = "ApiError";
  }

  get code(): string | undefined {
    return this.problem?.code;
  }
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  token?: string | null;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Called with every 401 from a staff request, so the app can return to the login. */
let onUnauthorized: (() => void) | null = null;
export function setUnauthorizedHandler(fn: (() => void) | null): void {
  onUnauthorized = fn;
}

async function readProblem(res: Response): Promise<Problem | null> {
  try {
    const body = (await res.json()) as Problem;
    return typeof body === "object" && body ? body : null;
  } catch {
    return null;
  }
}

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = {
    accept: "application/json",
    traceparent: newTraceparent(),
    ...opts.headers,
  };
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let res: Response;
  try {
    res = await fetch(path, {
      method: opts.method ?? "GET",
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new ApiError(null, { detail: "You seem to be offline. Check the connection and try again." });
  }
  if (!res.ok) {
    const problem = await readProblem(res);
    if (res.status === 401 && opts.token && onUnauthorized) onUnauthorized();
    const retryAfter = Number.parseInt(res.headers.get("retry-after") ?? "", 10);
    throw new ApiError(res.status, problem, Number.isFinite(retryAfter) ? retryAfter : null);
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return "Something went wrong. Please try again.";
}

/**
 * Upload a file as multipart `file` with progress (fetch cannot report upload
 * progress, XMLHttpRequest can).
 */
export function uploadFile<T>(
  path: string,
  file: File,
  token: string,
  onProgress: (fraction: number) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.setRequestHeader("authorization", `Bearer ${token}`);
    xhr.setRequestHeader("accept", "application/json");
    xhr.setRequestHeader("traceparent", newTraceparent());
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as T);
      else reject(new ApiError(xhr.status, body as Problem | null));
    };
    xhr.onerror = () =>
      reject(new ApiError(null, { detail: "The upload was interrupted. Check the connection and try again." }));
    const form = new FormData();
    form.append("file", file);
    xhr.send(form);
  });
}
