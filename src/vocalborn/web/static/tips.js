// One concrete tip for each flagged word or syllable, in zh-TW and English. Pure: an item of the
// report (and the spelling to show) in, one short sentence out; no DOM and no page state, so
// each rule reads on its own. Tones are named the way learners know them (第二聲, "tone 2")
// and described by their shape, never by a number alone.

const TONE_NAMES = {
  "zh-TW": { 1: "第一聲", 2: "第二聲", 3: "第三聲", 4: "第四聲", 5: "輕聲" },
  en: { 1: "tone 1", 2: "tone 2", 3: "tone 3", 4: "tone 4", 5: "the neutral tone" },
};
// How a tone was said, for "you said it …".
const SHAPES = {
  "zh-TW": { 1: "平平的", 2: "往上揚", 3: "先降再升", 4: "往下降", 5: "又輕又短" },
  en: { 1: "level", 2: "rising", 3: "dipping", 4: "falling", 5: "light and short" },
};
// How to say the expected tone.
const HOW = {
  "zh-TW": {
    1: "第一聲要高高平平地拉長，不要往下掉",
    2: "第二聲從中間往上揚，像驚訝地問「啊？」",
    3: "第三聲先降再升：先把聲音壓到最低，再輕輕揚起來",
    4: "第四聲從高處很快地往下降，像肯定地說「對！」",
    5: "輕聲要唸得又輕又短",
  },
  en: {
    1: "Tone 1 stays high and level: hold it, don't let it drop",
    2: "Tone 2 rises from the middle to high, like a surprised \"huh?\"",
    3: "Tone 3 dips, then rises: press your voice down low first, then let it come up a little",
    4: "Tone 4 falls fast from high to low, like a firm \"Yes!\"",
    5: "The neutral tone is light and short",
  },
};
// Why the tone to say differs from the one written (tone sandhi).
const SANDHI = {
  "zh-TW": {
    yi: "「一」在第四聲前面唸第二聲，在第一、二、三聲前面唸第四聲",
    bu: "「不」在第四聲前面要唸第二聲",
    three: "兩個第三聲連在一起時，前面的字要唸成第二聲（往上揚）",
  },
  en: {
    yi: "一 is said with tone 2 before a tone 4, and with tone 4 before tones 1 to 3",
    bu: "不 is said with tone 2 before a tone 4",
    three: "When two tone-3 syllables follow each other, the first one is said as tone 2 (rising)",
  },
};

const en = (language) => (language === "en" ? "en" : "zh-TW");

export function toneName(tone, language) {
  return TONE_NAMES[en(language)][tone] || "";
}

export function toneShape(tone, language) {
  return SHAPES[en(language)][tone] || "";
}

/** The tone as written above the character, read off its Zhuyin (ˊ ˇ ˋ, a leading ˙, or none). */
export function writtenTone(item) {
  const z = typeof item.zhuyin === "string" ? item.zhuyin : "";
  if (!z) return null;
  if (z.startsWith("˙")) return 5;
  if (z.endsWith("ˊ")) return 2;
  if (z.endsWith("ˇ")) return 3;
  if (z.endsWith("ˋ")) return 4;
  return 1;
}

function sandhiRule(item) {
  const written = writtenTone(item);
  const expected = item.tone_expected;
  if (!written || !expected || written === expected) return null;
  if (item.label === "一") return "yi";
  if (item.label === "不") return "bu";
  if (written === 3 && expected === 2) return "three";
  return null;
}

function toneTip(item, language) {
  const L = en(language);
  const heard = item.tone_heard;
  const said = heard && heard !== item.tone_expected
    ? L === "en"
      ? `You said it ${SHAPES.en[heard]}, like ${TONE_NAMES.en[heard]}. `
      : `你唸得${SHAPES["zh-TW"][heard]}，聽起來像${TONE_NAMES["zh-TW"][heard]}。`
    : "";
  const rule = sandhiRule(item);
  const how = rule ? SANDHI[L][rule] : HOW[L][item.tone_expected] || "";
  if (item.status === "unclear") {
    const louder = L === "en" ? "; say it a little slower and louder so the tone can be heard." : "；唸慢一點、大聲一點，讓聲調聽得清楚。";
    return `${said}${how}${louder}`;
  }
  return `${said}${how}${L === "en" ? "." : "。"}`;
}

/**
 * One tip for a flagged item. `say` is the expected spelling in the learner's chosen script
 * (Zhuyin or tone-mark pinyin) for Mandarin, "" for English. Returns "" for an item that needs
 * no tip (ok, not assessed).
 */
export function tipFor(item, language, say = "") {
  const L = en(language);
  const zh = L === "zh-TW";
  const mandarin = typeof item.label === "string" && !("word" in item);
  const unit = mandarin ? item.label : item.word;
  const heard = item.heard;
  switch (item.status) {
    case "wrong_tone":
    case "unclear":
      return toneTip(item, language);
    case "substituted":
      if (mandarin) {
        const sayIt = say ? (zh ? `看著「${say}」，` : `Say ${say} `) : zh ? "" : "Say it ";
        return zh
          ? `「${unit}」聽起來像「${heard || "別的字"}」。${sayIt}先單獨慢慢唸這個字，再放回句子裡唸。`
          : `${unit} sounded like ${heard || "another character"}. ${sayIt}slowly on its own first, then in the sentence again.`;
      }
      return zh
        ? `「${unit}」聽起來像「${heard || "別的字"}」：先單獨慢慢唸「${unit}」，再唸一次整個句子。`
        : `'${unit}' sounded like '${heard || "another word"}': say '${unit}' slowly on its own, then the whole sentence again.`;
    case "missing":
      if (mandarin) {
        return zh ? `沒有聽到「${unit}」：每個字都要唸出來，慢慢唸，不要跳過。` : `${unit} was not heard: say every character, slowly, without skipping any.`;
      }
      return zh ? `沒有聽到「${unit}」：短短的字也要唸出來，慢慢唸。` : `'${unit}' was not heard: say every word, even the short ones; go slowly.`;
    case "mispronounced":
      return zh ? `「${unit}」不夠清楚：把這個字拆開，一個音一個音慢慢唸，再唸快一點。` : `'${unit}' was not clear: say it slowly, sound by sound, then a little faster.`;
    case "extra":
      return zh ? `多唸了「${heard || "…"}」，句子裡沒有這個字：只唸句子裡的字。` : `You said '${heard || "…"}', which is not in the sentence: read only the sentence's words.`;
    default:
      return "";
  }
}
