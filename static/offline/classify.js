/* Povreg offline entry: the browser's port of surveys/classification.py (`classify`, income and score A/B, the
   group rule, the explanation texts). Pure functions over the criteria spec the server sends in the offline package
   (offline/selectors.py spec_json), so the preview reads the same rule table the server classifies with.
   tests/browser/test_offline.py runs the Python module's boundary cases through this file and compares every field:
   change both together. The server classifies what is sent; this is only a preview. */

export const CATEGORY_LABELS = {
  vi: { poor: "Hộ nghèo", near_poor: "Hộ cận nghèo", average: "Hộ có mức sống trung bình", not_poor: "Hộ không nghèo" },
  en: { poor: "Poor household", near_poor: "Near-poor household", average: "Average-living-standard household", not_poor: "Not poor" },
};
export const GROUP_LABELS = {
  vi: { poverty_reduction: "thuộc đối tượng giảm nghèo", social_protection: "thuộc diện bảo trợ xã hội" },
  en: { poverty_reduction: "poverty-reduction target", social_protection: "social protection" },
};
export const AREA_LABELS = { vi: { urban: "thành thị", rural: "nông thôn" }, en: { urban: "urban", rural: "rural" } };
export const MAX_SCORE_A = 1000;

export class ClassificationInputError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

const isNone = (value) => value === null || value === undefined;
const isWholeNumber = (value) => typeof value === "number" && Number.isInteger(value);

/** 1500000 -> "1.500.000 ₫" (Vietnamese grouping; VND has no minor unit). */
export function vnd(amount) {
  const sign = amount < 0 ? "-" : "";
  return sign + String(Math.abs(amount)).replace(/\B(?=(\d{3})+(?!\d))/g, ".") + " ₫";
}

export function ruleMatches(rule, income, deprived) {
  if (!isNone(rule.income_above) && !(income > rule.income_above)) return false;
  if (!isNone(rule.income_upto)) {
    if (rule.upto_inclusive && !(income <= rule.income_upto)) return false;
    if (!rule.upto_inclusive && !(income < rule.income_upto)) return false;
  }
  if (!isNone(rule.min_deprived) && deprived < rule.min_deprived) return false;
  return !(!isNone(rule.max_deprived) && deprived > rule.max_deprived);
}

export function describeRule(rule, lang, period = "month") {
  const vi = lang === "vi";
  let income = vi ? "thu nhập" : "income";
  if (period === "year") income = vi ? "thu nhập năm" : "yearly income";
  const parts = [];
  const lower = !isNone(rule.income_above) ? `${vnd(rule.income_above)} < ` : "";
  if (!isNone(rule.income_upto)) {
    const op = rule.upto_inclusive ? "≤" : "<";
    parts.push(`${lower}${income} ${op} ${vnd(rule.income_upto)}`);
  } else if (!isNone(rule.income_above)) {
    parts.push(`${income} > ${vnd(rule.income_above)}`);
  }
  if (!isNone(rule.min_deprived)) parts.push(vi ? `thiếu hụt ≥ ${rule.min_deprived} chỉ số` : `≥ ${rule.min_deprived} deprivations`);
  if (!isNone(rule.max_deprived)) parts.push(vi ? `thiếu hụt ≤ ${rule.max_deprived} chỉ số` : `≤ ${rule.max_deprived} deprivations`);
  if (!parts.length) return vi ? "mọi hộ" : "every household";
  return parts.join(vi ? " và " : " and ");
}

/** Social protection when no member can be counted on to work; otherwise a poverty-reduction target. */
export function householdGroup(members, groupRule) {
  const able = groupRule === "no_member_able"
    ? members.some((m) => Boolean(m.able_to_work))
    : members.some((m) => Boolean(m.able_to_work) && !m.social_protection);
  return able ? "poverty_reduction" : "social_protection";
}

export function incomeInPeriod(spec, income) {
  return spec.income_period === "year" ? income * 12 : income;
}

function indicatorCodes(spec, deprived) {
  const codes = [...new Set(deprived)];
  const known = new Set(spec.indicators.map((i) => i.code));
  const unknown = codes.filter((c) => !known.has(c));
  if (unknown.length) throw new ClassificationInputError("deprived", `Unknown indicator code(s) for ${spec.code}: ${unknown.join(", ")}.`);
  return codes;
}

function deprivationText(lang, spec, codes, names) {
  const vi = lang === "vi";
  const total = spec.indicators.length;
  if (codes.length) {
    const listed = codes.map((c) => (vi ? names[c].name_vi : names[c].name_en) || c).join(", ");
    return vi ? `thiếu hụt ${codes.length}/${total} chỉ số (${listed})` : `deprived on ${codes.length} of ${total} (${listed})`;
  }
  return vi ? `không thiếu hụt chỉ số nào (0/${total})` : `no deprivation (0 of ${total})`;
}

function label(lang, category, group) {
  const text = CATEGORY_LABELS[lang][category];
  return group ? `${text} (${GROUP_LABELS[lang][group]})` : text;
}

function explainScore(lang, spec, area, scoreA, scoreB, codes, names, line, averageUpto, category, group) {
  const vi = lang === "vi";
  const [wordA, wordB] = vi ? ["điểm A", "điểm B"] : ["score A", "score B"];
  const poorMinB = spec.score.poor_min_b;
  let reason;
  if (scoreA <= line) {
    reason = `${wordA} ${scoreA} ≤ ${line}, ${wordB} ${scoreB} ${scoreB >= poorMinB ? "≥" : "<"} ${poorMinB}`;
  } else if (!isNone(averageUpto) && scoreA <= averageUpto) {
    reason = `${line} < ${wordA} ${scoreA} ≤ ${averageUpto}`;
  } else {
    reason = `${wordA} ${scoreA} > ${!isNone(averageUpto) ? averageUpto : line}`;
  }
  const areaText = AREA_LABELS[vi ? "vi" : "en"][area];
  const head = vi ? `Bộ tiêu chí ${spec.code}, khu vực ${areaText}` : `Criteria ${spec.code}, ${areaText} area`;
  return `${head}: ${reason} (${deprivationText(lang, spec, codes, names)}) → ${label(lang, category, group)}.`;
}

function explain(lang, spec, area, income, codes, names, rules, matchIndex, category, group) {
  const vi = lang === "vi";
  const deprivation = deprivationText(lang, spec, codes, names);
  let amount;
  if (spec.income_period === "year") {
    amount = vi ? `${vnd(income)}/người/tháng = ${vnd(income * 12)}/người/năm`
      : `${vnd(income)} per person per month = ${vnd(income * 12)} per person per year`;
  } else {
    amount = vi ? `${vnd(income)}/người/tháng` : `${vnd(income)} per person per month`;
  }
  const head = vi
    ? `Bộ tiêu chí ${spec.code}, khu vực ${AREA_LABELS.vi[area]}: thu nhập bình quân ${amount}; ${deprivation}.`
    : `Criteria ${spec.code}, ${AREA_LABELS.en[area]} area: income ${amount}; ${deprivation}.`;
  let reason;
  if (matchIndex === null) {
    reason = vi ? "Không thuộc quy tắc nào của bộ tiêu chí" : "No rule of the criteria set applies";
  } else {
    const text = describeRule(rules[matchIndex], lang, spec.income_period);
    reason = vi ? `Khớp quy tắc ${matchIndex + 1}: ${text}` : `Matches rule ${matchIndex + 1}: ${text}`;
  }
  return `${head} ${reason} → ${label(lang, category, group)}.`;
}

function groupFor(spec, category, members) {
  return spec.groups_for.includes(category) ? householdGroup(members, spec.group_rule) : null;
}

function classifyByScore(spec, { area, scoreA, deprived, members }) {
  const scale = spec.score;
  if (!scale) throw new ClassificationInputError("score_a", `The criteria set ${spec.code} has no score scale: give income_per_capita.`);
  if (!(area in scale.lines)) throw new ClassificationInputError("area", `Unknown area type ${area}.`);
  if (!isWholeNumber(scoreA)) throw new ClassificationInputError("score_a", "Score A is a whole number of points.");
  if (!(scoreA >= 0 && scoreA <= MAX_SCORE_A)) throw new ClassificationInputError("score_a", `Score A is between 0 and ${MAX_SCORE_A} points.`);
  const codes = indicatorCodes(spec, deprived);
  const scoreB = codes.length * scale.points_per_indicator;
  const line = scale.lines[area];
  const averageUpto = (scale.average_upto || {})[area];
  let category;
  if (scoreA <= line) category = scoreB >= scale.poor_min_b ? "poor" : "near_poor";
  else if (!isNone(averageUpto) && scoreA <= averageUpto) category = "average";
  else category = "not_poor";
  const group = groupFor(spec, category, members);
  const names = Object.fromEntries(spec.indicators.map((i) => [i.code, i]));
  const texts = {};
  for (const lang of ["vi", "en"]) texts[lang] = explainScore(lang, spec, area, scoreA, scoreB, codes, names, line, averageUpto, category, group);
  return {
    category, group, deprived_count: codes.length, rule_index: null, explanation_vi: texts.vi, explanation_en: texts.en,
    deprived: codes, basis: "score", score_a: scoreA, score_b: scoreB,
  };
}

/**
 * Classify one household under `spec` from its income per person per month or, for a set with a score scale, from
 * score A; throws ClassificationInputError naming a bad input (as surveys.classification.classify does).
 * @param {object} spec  the criteria spec (offline package `criteria_set`)
 * @param {{area: string, income?: number|null, score_a?: number|null, deprived: string[], members: {able_to_work: boolean, social_protection?: boolean}[]}} inputs
 */
export function classify(spec, { area, income = null, score_a: scoreA = null, deprived = [], members = [] }) {
  if (isNone(income) === isNone(scoreA)) {
    throw new ClassificationInputError("score_a", "Give either income_per_capita or score_a, not both and not neither.");
  }
  if (!isNone(scoreA)) return classifyByScore(spec, { area, scoreA, deprived, members });
  if (!(area in spec.rules)) throw new ClassificationInputError("area", `Unknown area type ${area}.`);
  if (!isWholeNumber(income)) throw new ClassificationInputError("income_per_capita", "Income per capita must be a whole number of VND.");
  if (income < 0) throw new ClassificationInputError("income_per_capita", "Income per capita cannot be negative.");
  const codes = indicatorCodes(spec, deprived);
  const count = codes.length;
  const rules = spec.rules[area];
  const compared = incomeInPeriod(spec, income);
  let matchIndex = rules.findIndex((r) => ruleMatches(r, compared, count));
  if (matchIndex < 0) matchIndex = null;
  const category = matchIndex === null ? "not_poor" : rules[matchIndex].category;
  const group = groupFor(spec, category, members);
  const names = Object.fromEntries(spec.indicators.map((i) => [i.code, i]));
  return {
    category, group, deprived_count: count, rule_index: matchIndex,
    explanation_vi: explain("vi", spec, area, income, codes, names, rules, matchIndex, category, group),
    explanation_en: explain("en", spec, area, income, codes, names, rules, matchIndex, category, group),
    deprived: codes, basis: "income", score_a: null, score_b: null,
  };
}

export function explanation(result, lang) {
  return String(lang || "vi").startsWith("vi") ? result.explanation_vi : result.explanation_en;
}
