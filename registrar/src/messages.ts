/**
 * A register file's problems as people read them, in Russian and English. Each message is a
 * template of its problem's params (`{name}`); `where` prefixes the line, column and field. The CLI
 * prints one language, the API answers both beside the code.
 */
import type { Problem, ProblemCode } from "./problems.js";

export const LANGUAGES = ["ru", "en"] as const;
export type Language = (typeof LANGUAGES)[number];

type Templates = Record<ProblemCode, string>;

const EN: Templates = {
  empty_file: "the file is empty: expected a header line and rows",
  not_utf8: "the bytes here are not UTF-8 (byte {byte} of the file); save the file as UTF-8",
  unclosed_quote: "the quoted field opened here is never closed",
  quote_in_unquoted_field: "a quote inside a field that does not start with one; enclose the field in quotes and double the quote inside",
  text_after_closing_quote: "text after the closing quote; expected a comma or the end of the line",
  lone_carriage_return: "a carriage return without a line feed; lines must end with CRLF or LF",
  header_missing_column: "the header has no column '{column}'",
  header_unknown_column: "the header names an unknown column '{column}'; expected the columns {expected}",
  header_duplicate_column: "the header names column '{column}' twice",
  wrong_field_count: "{found} fields, expected {expected} as in the header",
  unknown_record: "unknown record '{value}'; expected one of {expected}",
  field_required: "a row of record '{record}' needs a value here",
  field_not_allowed: "a row of record '{record}' leaves this field empty; found '{value}'",
  field_too_long: "the value has {length} characters, at most {max} are allowed",
  control_character: "the value holds a control character (code {code}); line breaks and tabs are not allowed in a field",
  bad_fraction: "share '{value}' is not a fraction: expected a/b such as 1/2 (or 1 for the whole)",
  inexact_share: "share {value} cannot be recorded exactly: its denominator must divide {unit} (e.g. 2–16, 25, 27, 100, 1000)",
  share_out_of_range: "share {value} must be greater than 0 and at most 1",
  bad_area: "area '{value}' is not a number of square metres with two decimals, such as 45.50",
  area_not_positive: "area {value} must be greater than zero",
  area_too_large: "area {value} m² is larger than the register can hold ({max} m²)",
  unknown_kind: "unknown kind '{value}'; expected one of {expected}",
  unknown_ownership: "unknown ownership '{value}'; expected one of {expected}",
  unknown_role: "unknown role '{value}'; expected one of {expected}",
  unknown_language: "unknown language '{value}'; expected one of {expected}",
  bad_cadastral_number: "'{value}' is not a cadastral number; expected the form 77:06:0004003:1056",
  bad_person_id: "person id '{value}' must be 1–128 letters, digits or . _ : @ -",
  bad_email: "'{value}' is not an e-mail address",
  bad_phone: "'{value}' is not a phone number in international form, such as +79161234567",
  no_building: "the file names no building: expected at least one 'building' row",
  too_many_rows: "the file has more than {max} rows",
  duplicate_building: "building {value} is already given on line {first}",
  duplicate_premises: "premises {value} of this building is already given on line {first}",
  duplicate_cadastral_number: "cadastral number {value} is already given on line {first}",
  duplicate_person: "person {value} is already given on line {first}",
  duplicate_resident: "person {value} is already registered in this premises on line {first}",
  duplicate_organisation: "organisation {value} already has a role in this building on line {first}",
  unknown_building: "no 'building' row gives building {value}",
  unknown_premises: "no 'premises' row gives premises {value} of building {building}",
  unknown_person: "no 'person' row gives person {value}",
  shares_not_whole: "the shares of premises {premises} sum to {sum}; they must sum to 1",
  person_in_two_holdings: "person {value} already holds a share of premises {premises} on line {first}; a person appears in one holding of a premises",
  joint_group_too_small: "joint holding '{group}' of premises {premises} has one holder; joint ownership needs two or more (else use 'sole' or 'shared')",
  joint_group_too_large: "joint holding '{group}' of premises {premises} has {count} holders, at most {max} are allowed",
  joint_share_differs: "joint holders of '{group}' share one share; line {first} gives {expected}, this row {value}",
  joint_title_differs: "joint holders of '{group}' hold under one title document; line {first} gives '{expected}'",
  sole_not_alone: "a sole owner holds the whole premises {premises}, which has other holdings (line {first}); use 'shared'",
  sole_share_not_whole: "a sole owner's share is 1, found {value}",
  shared_share_whole: "a shared owner holds part of the premises; for share 1 use 'sole'",
  too_many_holdings: "premises {premises} has {count} holdings, at most {max} are allowed",
  too_many_joint_groups: "person {value} is in {count} joint holdings with different people in building {building}, at most {max} are allowed",
  premises_changed: "premises {premises} is registered with {what} {registered}; the file says {value}, which the register on chain cannot change",
  premises_missing: "premises {premises} of building {building} is registered but missing from the file; the file must give every premises of the building",
  too_many_problems: "and {count} more problem(s)",
};

const RU: Templates = {
  empty_file: "файл пуст: ожидаются строка заголовка и строки данных",
  not_utf8: "байты здесь не в кодировке UTF-8 (байт {byte} файла); сохраните файл в UTF-8",
  unclosed_quote: "поле в кавычках, открытое здесь, не закрыто",
  quote_in_unquoted_field: "кавычка внутри поля, которое не начинается с кавычки; заключите поле в кавычки и удвойте кавычку внутри",
  text_after_closing_quote: "текст после закрывающей кавычки; ожидается запятая или конец строки",
  lone_carriage_return: "возврат каретки без перевода строки; строки должны заканчиваться CRLF или LF",
  header_missing_column: "в заголовке нет столбца «{column}»",
  header_unknown_column: "в заголовке неизвестный столбец «{column}»; ожидаются столбцы {expected}",
  header_duplicate_column: "столбец «{column}» указан в заголовке дважды",
  wrong_field_count: "полей {found}, ожидается {expected}, как в заголовке",
  unknown_record: "неизвестный вид записи «{value}»; ожидается одно из: {expected}",
  field_required: "в строке «{record}» здесь нужно значение",
  field_not_allowed: "в строке «{record}» это поле остаётся пустым; указано «{value}»",
  field_too_long: "в значении {length} символов, допускается не более {max}",
  control_character: "в значении управляющий символ (код {code}); переводы строки и табуляция в поле не допускаются",
  bad_fraction: "доля «{value}» не является дробью: ожидается a/b, например 1/2 (или 1 — целое)",
  inexact_share: "долю {value} нельзя записать точно: её знаменатель должен делить {unit} (например, 2–16, 25, 27, 100, 1000)",
  share_out_of_range: "доля {value} должна быть больше 0 и не больше 1",
  bad_area: "площадь «{value}» не является числом квадратных метров с двумя знаками после запятой, например 45.50",
  area_not_positive: "площадь {value} должна быть больше нуля",
  area_too_large: "площадь {value} м² больше, чем может хранить реестр ({max} м²)",
  unknown_kind: "неизвестный вид помещения «{value}»; ожидается одно из: {expected}",
  unknown_ownership: "неизвестный вид собственности «{value}»; ожидается одно из: {expected}",
  unknown_role: "неизвестная роль «{value}»; ожидается одно из: {expected}",
  unknown_language: "неизвестный язык «{value}»; ожидается одно из: {expected}",
  bad_cadastral_number: "«{value}» не является кадастровым номером; ожидается вид 77:06:0004003:1056",
  bad_person_id: "идентификатор лица «{value}» должен состоять из 1–128 латинских букв, цифр или . _ : @ -",
  bad_email: "«{value}» не является адресом электронной почты",
  bad_phone: "«{value}» не является номером телефона в международном формате, например +79161234567",
  no_building: "в файле нет ни одного дома: ожидается хотя бы одна строка «building»",
  too_many_rows: "в файле больше {max} строк",
  duplicate_building: "дом {value} уже указан в строке {first}",
  duplicate_premises: "помещение {value} этого дома уже указано в строке {first}",
  duplicate_cadastral_number: "кадастровый номер {value} уже указан в строке {first}",
  duplicate_person: "лицо {value} уже указано в строке {first}",
  duplicate_resident: "лицо {value} уже зарегистрировано в этом помещении в строке {first}",
  duplicate_organisation: "у организации {value} уже есть роль в этом доме в строке {first}",
  unknown_building: "ни одна строка «building» не задаёт дом {value}",
  unknown_premises: "ни одна строка «premises» не задаёт помещение {value} дома {building}",
  unknown_person: "ни одна строка «person» не задаёт лицо {value}",
  shares_not_whole: "сумма долей помещения {premises} равна {sum}; она должна быть равна 1",
  person_in_two_holdings: "лицо {value} уже владеет долей помещения {premises} в строке {first}; лицо входит только в одну долю помещения",
  joint_group_too_small: "у совместной собственности «{group}» помещения {premises} один владелец; совместной собственности нужны двое и больше (иначе укажите sole или shared)",
  joint_group_too_large: "у совместной собственности «{group}» помещения {premises} {count} владельцев, допускается не более {max}",
  joint_share_differs: "совместные собственники «{group}» владеют одной долей; в строке {first} указано {expected}, в этой строке {value}",
  joint_title_differs: "совместные собственники «{group}» владеют по одному правоустанавливающему документу; в строке {first} указано «{expected}»",
  sole_not_alone: "единоличный собственник владеет всем помещением {premises}, а у него есть другие доли (строка {first}); укажите shared",
  sole_share_not_whole: "доля единоличного собственника равна 1, указано {value}",
  shared_share_whole: "долевой собственник владеет частью помещения; для доли 1 укажите sole",
  too_many_holdings: "у помещения {premises} {count} долей, допускается не более {max}",
  too_many_joint_groups: "лицо {value} входит в {count} совместных собственностей с разными людьми в доме {building}, допускается не более {max}",
  premises_changed: "помещение {premises} зарегистрировано с параметром «{what}» = {registered}; в файле {value}, а реестр в блокчейне не может это изменить",
  premises_missing: "помещение {premises} дома {building} зарегистрировано, но отсутствует в файле; файл должен перечислять все помещения дома",
  too_many_problems: "и ещё проблем: {count}",
};

const TEMPLATES: Record<Language, Templates> = { en: EN, ru: RU };

function fill(template: string, params: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (Object.hasOwn(params, name) ? String(params[name]) : whole));
}

/** The problem's message alone, in `language`. */
export function problemMessage(problem: Problem, language: Language): string {
  return fill(TEMPLATES[language][problem.code], problem.params);
}

/** "line 12, column 34 (share): …" in `language`. */
export function describeProblem(problem: Problem, language: Language): string {
  const where: string[] = [];
  if (problem.line > 0) where.push(language === "ru" ? `строка ${problem.line}` : `line ${problem.line}`);
  if (problem.column > 0) where.push(language === "ru" ? `столбец ${problem.column}` : `column ${problem.column}`);
  const place = where.join(", ") + (problem.field ? ` (${problem.field})` : "");
  return place ? `${place}: ${problemMessage(problem, language)}` : problemMessage(problem, language);
}

/** Both languages' messages, as the API answers them beside the code. */
export function problemMessages(problem: Problem): Record<Language, string> {
  return { ru: describeProblem(problem, "ru"), en: describeProblem(problem, "en") };
}

/** The language of an Accept-Language header (or a LANG like ru_RU.UTF-8): Russian or English, `fallback` otherwise. */
export function languageOf(header: string | undefined, fallback: Language): Language {
  if (!header) return fallback;
  const wanted = header
    .split(",")
    .map((part) => {
      const [tag, ...rest] = part.trim().split(";");
      const q = rest.map((r) => /^\s*q=([0-9.]+)\s*$/.exec(r)?.[1]).find((v) => v !== undefined);
      return { tag: (tag ?? "").toLowerCase(), q: q === undefined ? 1 : Number(q) };
    })
    .filter((w) => w.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const w of wanted) {
    const primary = w.tag.split(/[-_.]/)[0];
    if (primary === "ru" || primary === "en") return primary;
  }
  return fallback;
}
