// A file the API sends (CSV exports) saved by the browser: fetched with the
// staff token (a plain link could not carry it), then handed over as a Blob.
import { ApiError } from "./api";
import type { Problem } from "./problem";
import { newTraceparent } from "./traceparent";

/** GET `path` with the bearer token and save the answer as `filename`. */
export async function downloadFile(path: string, token: string, filename: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(path, {
      headers: {
        authorization: `Bearer ${token}`,
        accept: "text/csv, application/problem+json",
        traceparent: newTraceparent(),
      },
    });
  } catch {
    throw new ApiError(null, { detail: "You seem to be offline. Check the connection and try again." });
  }
  if (!res.ok) {
    let problem: Problem | null = null;
    try {
      problem = (await res.json()) as Problem;
    } catch {
      problem = null;
    }
    throw new ApiError(res.status, problem);
  }
  const url = URL.createObjectURL(await res.blob());
  try {
    const a = document.createElement("a");
    a.href = url;
    a.download = filename;
    a.style.display = "none";
    document.body.append(a);
    a.click();
    a.remove();
  } finally {
    // the click has started the download; the URL may go after this turn
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
}
