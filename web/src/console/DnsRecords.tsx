import { CopyButton } from "./CopyButton";
import type { DnsRecord } from "./types";

/** The records the restaurant creates at its DNS provider, each value ready to copy. */
export function DnsRecords({ domain, records }: { domain: string; records: DnsRecord[] }) {
  if (!records.length) return null;
  return (
    <div className="table-scroll">
      <table className="records">
        <caption>DNS records to create for {domain}</caption>
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Name</th>
            <th scope="col">Value</th>
            <th scope="col"><span className="sr-only">Copy</span></th>
          </tr>
        </thead>
        <tbody>
          {records.map((r) => (
            <tr key={`${r.type} ${r.name}`} data-type={r.type}>
              <th scope="row">{r.type}</th>
              <td><code>{r.name}</code></td>
              <td><code className="value">{r.value}</code></td>
              <td><CopyButton text={r.value} what={`the ${r.type} value for ${r.name}`} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
