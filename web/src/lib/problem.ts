// RFC 9457 problem details (with the SPEC's `code`) turned into words for people.

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: { field: string; message: string }[];
}

const MESSAGES: Record<string, string> = {
  store_closed: "The restaurant is closed right now, so it cannot take orders.",
  tenant_not_found: "There is no restaurant at this address.",
  tenant_suspended: "This restaurant is not taking orders on Stelly at the moment.",
  invalid_credentials: "That e-mail and password do not match.",
  not_authenticated: "Please log in again.",
  token_expired: "Your session has ended. Please log in again.",
  forbidden: "Your account is not allowed to do that.",
  rate_limited: "Too many attempts. Please wait a moment and try again.",
  too_many_attempts: "Too many attempts. Please wait a moment and try again.",
  invalid_token: "Your session has ended. Please log in again.",
  token_wrong_tenant: "That login belongs to another restaurant. Please log in here.",
  insufficient_role: "Your account is not allowed to do that.",
  idempotency_key_reused: "This checkout changed while it was being sent. Please review your order and try again.",
  conflict: "Someone else changed this first. The page has the latest state now.",
  illegal_transition: "That order has already moved on.",
  payload_too_large: "That file is too large.",
  image_too_large: "That file is too large.",
  unsupported_image_type: "Only JPEG, PNG or WebP images can be used.",
  unsupported_media_type: "Only JPEG, PNG or WebP images can be used.",
  unreadable_image: "That image could not be read.",
  truncated_image: "That image file is incomplete.",
  too_many_pixels: "That image has too many pixels.",
  not_found: "It is not there any more.",
  item_not_found: "That item is not on the menu any more.",
  order_not_found: "That order could not be found.",
  category_not_empty: "Move or delete the items in this category first.",
  reorder_mismatch: "The list changed on another device. It shows the latest order now; try again.",
  user_exists: "There is already an account with that e-mail.",
  email_taken: "There is already an account with that e-mail.",
  cannot_change_self: "You cannot change your own account from here.",
  cannot_disable_self: "You cannot disable your own account.",
  user_not_found: "That account no longer exists.",
  invalid_cursor: "The list changed in the meantime. Please search again.",
  category_not_found: "That category is not on the menu any more.",
  unknown_category: "That category is not on the menu any more.",
  image_not_ready: "That photo is still being processed. Try again in a moment.",
  image_not_found: "That image is not ready or no longer exists.",
  unavailable: "The service is busy. Please try again in a moment.",
  bad_gateway: "The service is not reachable. Please try again in a moment.",
  gateway_timeout: "The service took too long to answer. Please try again.",
};

function humanField(field: string): string {
  return field
    .replace(/^(body|data)\./, "")
    .replace(/\[(\d+)\]/g, " $1")
    .replace(/[._]/g, " ")
    .trim();
}

/** One sentence for a problem (and status); never a raw code or stack. */
export function problemMessage(problem: Problem | null, status?: number): string {
  const code = problem?.code;
  if (code && MESSAGES[code]) return MESSAGES[code];
  if (problem?.errors?.length) {
    return problem.errors
      .map((e) => `${humanField(e.field) || "Input"}: ${e.message}`)
      .join("; ");
  }
  if (problem?.detail) return problem.detail.charAt(0).toUpperCase() + problem.detail.slice(1);
  const s = problem?.status ?? status;
  if (s === 401) return MESSAGES.not_authenticated;
  if (s === 403) return MESSAGES.forbidden;
  if (s === 404) return MESSAGES.not_found;
  if (s === 409) return MESSAGES.conflict;
  if (s === 413) return MESSAGES.payload_too_large;
  if (s === 429) return MESSAGES.rate_limited;
  if (s !== undefined && s >= 500) return MESSAGES.unavailable;
  return problem?.title ?? "Something went wrong. Please try again.";
}
