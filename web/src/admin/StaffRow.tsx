import type { StaffUser } from "../lib/adminTypes";
import { formatDateTime } from "../lib/storeTime";

const STATUS: Record<StaffUser["status"], string> = { active: "Active", invited: "Invited", disabled: "Disabled" };

interface Props {
  user: StaffUser;
  timeZone: string;
  manageable: boolean;
  onAction(action: "disable" | "enable" | "password-reset"): void;
}

export function StaffRow({ user, timeZone, manageable, onAction }: Props) {
  return (
    <tr data-user-email={user.email}>
      <td>{user.email}</td>
      <td className="cap">{user.role}</td>
      <td><span className={`badge status-${user.status}`}>{STATUS[user.status] ?? user.status}</span></td>
      <td>{user.last_login_at ? formatDateTime(user.last_login_at, timeZone) : <span className="muted">Never</span>}</td>
      <td>
        {manageable && (
          <div className="row-actions">
            {user.status === "disabled" ? (
              <button type="button" onClick={() => onAction("enable")} aria-label={`Enable ${user.email}`}>Enable</button>
            ) : (
              <button type="button" className="danger" onClick={() => onAction("disable")} aria-label={`Disable ${user.email}`}>Disable</button>
            )}
            <button type="button" onClick={() => onAction("password-reset")} aria-label={`Reset password for ${user.email}`}>Reset password</button>
          </div>
        )}
      </td>
    </tr>
  );
}
