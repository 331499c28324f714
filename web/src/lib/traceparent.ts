// W3C Trace Context (SPEC §9): every API call starts a trace of its own, so a
// click and the server spans it causes share one trace id (`stelly trace`
// finds them by it). Format: 00-{32 hex trace id}-{16 hex span id}-01.

export type RandomBytes = (bytes: Uint8Array) => Uint8Array;

const browserRandom: RandomBytes = (bytes) => crypto.getRandomValues(bytes);

function hex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

/** A fresh `traceparent`: random 16-byte trace id, 8-byte span id, sampled. */
export function newTraceparent(random: RandomBytes = browserRandom): string {
  const bytes = random(new Uint8Array(24));
  // an all-zero id is invalid (the servers would ignore the header): set one bit
  if (bytes.subarray(0, 16).every((b) => b === 0)) bytes[15] = 1;
  if (bytes.subarray(16).every((b) => b === 0)) bytes[23] = 1;
  return `00-${hex(bytes.subarray(0, 16))}-${hex(bytes.subarray(16))}-01`;
}
