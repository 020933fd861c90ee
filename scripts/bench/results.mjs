// From a measure and what its run yielded to one entry of bench/results.json.

/** Whether `value` meets `op target`; a missing value never does. */
export const meets = (value, op, target) =>
  typeof value === "number" &&
  Number.isFinite(value) &&
  (op === "<" ? value < target : op === ">=" ? value >= target : value <= target);

/**
 * {name, value, unit, target, op, pass, note?}. `raw` is {value, note?, ok?}: a null value (not
 * measured) or ok: false (the figure came with a wrong result, e.g. lost lines) fails the measure.
 */
export function toResult(measure, raw = { value: null, note: "not measured" }) {
  const value = typeof raw.value === "number" ? Number(raw.value.toFixed(measure.digits ?? 2)) : null;
  return {
    name: measure.name,
    value,
    unit: measure.unit,
    target: measure.target,
    op: measure.op,
    pass: raw.ok !== false && meets(value, measure.op, measure.target),
    ...(raw.note && { note: raw.note }),
  };
}
