// A server's verdict on one field, next to it: the sentence and the API's code.
import type { FieldProblem } from "./messages";

export function FieldError({ id, problem }: { id: string; problem: FieldProblem | undefined }) {
  if (!problem) return null;
  return (
    <span id={id} className="error field-error" role="alert">
      {problem.message} <code>{problem.code}</code>
    </span>
  );
}
