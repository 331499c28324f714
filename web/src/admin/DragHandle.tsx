import type { HandleProps } from "./useSortable";

/** The grip to drag, or to focus and move with Space and the arrow keys. */
export function DragHandle({ label, describedBy, props }: { label: string; describedBy: string; props: HandleProps }) {
  const { ref, ...rest } = props;
  return (
    <button type="button" className="drag-handle" aria-label={`Move ${label}`} aria-describedby={describedBy} ref={ref} {...rest}>
      <span aria-hidden="true">⠿</span>
    </button>
  );
}
