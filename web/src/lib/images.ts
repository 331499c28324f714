// `srcset` from an image's variants (`{"320": url, "640": url, "1280": url}`).
import type { MenuImage } from "./types";

export function srcSet(image: MenuImage | null | undefined): string {
  if (!image) return "";
  return Object.entries(image.variants)
    .filter(([w, url]) => /^\d+$/.test(w) && url)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([w, url]) => `${url} ${w}w`)
    .join(", ");
}

/** The smallest variant at least `width` px wide (else the largest): the plain `src`. */
export function bestSrc(image: MenuImage | null | undefined, width = 640): string | undefined {
  if (!image) return undefined;
  const sizes = Object.keys(image.variants)
    .filter((w) => /^\d+$/.test(w))
    .map(Number)
    .sort((a, b) => a - b);
  if (!sizes.length) return undefined;
  const pick = sizes.find((w) => w >= width) ?? sizes[sizes.length - 1];
  return image.variants[String(pick)];
}
