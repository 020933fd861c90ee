/**
 * Subscription usage-limit messages, in one place. Forms change between CLI versions (see
 * agent-cli-formats.md, "Usage-limit messages seen in the wild"): match loosely, and when no
 * reset time can be read return resetsAt null so the caller backs off instead.
 */
export interface UsageLimit {
  resetsAt: Date | null;
  message: string;
}

const LIMIT_WORDS =
  /usage limit reached|hit your (?:[\w-]+ ){0,3}limit|limit will reset|quota exceeded|usage_limit_reached|exceed your account's rate limit/i;

export function detectUsageLimit(text: string, now: Date = new Date()): UsageLimit | null {
  if (!LIMIT_WORDS.test(text)) return null;
  const message = text.trim().split("\n")[0]!.slice(0, 500);
  return { resetsAt: readResetTime(text, now), message };
}

function readResetTime(text: string, now: Date): Date | null {
  // claude (older): "Claude AI usage limit reached|1767225600"
  const epoch = /limit reached\|(\d{9,11})/i.exec(text);
  if (epoch) return new Date(Number(epoch[1]) * 1000);

  // codex JSON: "resets_at": 1767225600 or "resets_in_seconds": 3600
  const resetsAt = /"resets_at"\s*:\s*(\d{9,11})/.exec(text);
  if (resetsAt) return new Date(Number(resetsAt[1]) * 1000);
  const resetsIn = /"resets_in_seconds"\s*:\s*(\d+)/.exec(text);
  if (resetsIn) return new Date(now.getTime() + Number(resetsIn[1]) * 1000);

  // codex: "try again in 3 hours 2 minutes", "in 4 days 20 hours 9 minutes"
  const rel = /try again in ((?:\d+\s*(?:days?|hours?|hrs?|minutes?|mins?|seconds?|secs?)[\s,and]*)+)/i.exec(
    text,
  );
  if (rel) {
    let ms = 0;
    for (const [, n, unit] of rel[1]!.matchAll(/(\d+)\s*(d|h|m|s)/gi)) {
      ms +=
        Number(n) *
        { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[unit!.toLowerCase() as "d" | "h" | "m" | "s"];
    }
    return new Date(now.getTime() + ms);
  }

  // claude: "resets 1:30am (Asia/Dhaka)", "will reset at 9am (America/Chicago)", "resets 5:10pm (Europe/Paris)"
  const tod =
    /reset(?:s)?(?: at)?\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\s*(?:\(([A-Za-z_]+\/[A-Za-z_/+-]+|UTC)\))?/i.exec(
      text,
    );
  if (tod) {
    let hour = Number(tod[1]);
    const minute = Number(tod[2] ?? 0);
    const ampm = tod[3]?.toLowerCase();
    if (ampm === "pm" && hour < 12) hour += 12;
    if (ampm === "am" && hour === 12) hour = 0;
    if (hour > 23 || minute > 59) return null;
    return nextTimeOfDay(hour, minute, tod[4] ?? "UTC", now);
  }

  // codex: "try again at <date>" in some local format Date can read
  // codex formats it itself, in local time: "3:05 PM" (today, or tomorrow if past) or
  // "Jul 5th, 2026 8:19 PM"; an ISO date also works.
  const at = /try again at ([^.\n]+?)\.?$/im.exec(text);
  if (at) {
    const raw = at[1]!.trim().replace(/(\d+)(?:st|nd|rd|th)\b/gi, "$1");
    const clock = /^(\d{1,2}):(\d{2})\s*(am|pm)?$/i.exec(raw);
    if (clock) {
      let hour = Number(clock[1]);
      const ampm = clock[3]?.toLowerCase();
      if (ampm === "pm" && hour < 12) hour += 12;
      if (ampm === "am" && hour === 12) hour = 0;
      if (hour > 23 || Number(clock[2]) > 59) return null;
      const d = new Date(now);
      d.setHours(hour, Number(clock[2]), 0, 0);
      if (d.getTime() <= now.getTime()) d.setDate(d.getDate() + 1);
      return d;
    }
    const d = new Date(raw);
    if (!Number.isNaN(d.getTime())) return d;
  }
  return null;
}

/** The next moment after `now` at hour:minute wall-clock time in an IANA zone. */
function nextTimeOfDay(hour: number, minute: number, zone: string, now: Date): Date | null {
  let offsetOf: (d: Date) => number;
  try {
    const fmt = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    offsetOf = (d: Date) => {
      const p = Object.fromEntries(fmt.formatToParts(d).map((x) => [x.type, x.value]));
      const asUtc = Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!, +p.second!);
      return asUtc - Math.floor(d.getTime() / 1000) * 1000;
    };
  } catch {
    return null;
  }
  for (let dayShift = 0; dayShift <= 2; dayShift++) {
    const local = new Date(now.getTime() + offsetOf(now));
    const guess = Date.UTC(
      local.getUTCFullYear(),
      local.getUTCMonth(),
      local.getUTCDate() + dayShift,
      hour,
      minute,
    );
    const candidate = new Date(guess - offsetOf(new Date(guess)));
    if (candidate.getTime() > now.getTime()) return candidate;
  }
  return null;
}
