/**
 * The text_similarity metrics against the published values of the libraries OpenAI names for
 * them: sacreBLEU's own tests (Apache-2.0, mjpost/sacrebleu test/test_sentence_bleu.py), Google's
 * rouge_score tests checked against ROUGE-1.5.5 (Apache-2.0, google-research rouge/rouge_scorer_test.py
 * and its testdata), RapidFuzz's documented examples (MIT), NLTK 3.8's sentence_gleu and
 * meteor_score (Apache-2.0; values computed with Debian's python3-nltk 3.8, meteor with a WordNet
 * that has no synsets, since WordNet is not installed there and ours leaves synonyms out).
 */
import { describe, expect, it } from 'vitest';
import {
  bleu,
  sentenceBleuTokens,
  tokenize13a,
} from '../../../../../functions/domain/evals/graders/metrics/bleu';
import {
  defaultProcess,
  fuzzyMatch,
  partialRatio,
  ratio,
  wRatio,
} from '../../../../../functions/domain/evals/graders/metrics/fuzzy';
import { gleu } from '../../../../../functions/domain/evals/graders/metrics/gleu';
import { meteor } from '../../../../../functions/domain/evals/graders/metrics/meteor';
import { rouge } from '../../../../../functions/domain/evals/graders/metrics/rouge';

describe('bleu (sacreBLEU sentence_bleu: 13a, exp smoothing, effective order)', () => {
  // sacreBLEU issue #98's pair, from its test suite.
  const REF = 'producţia de zahăr brut se exprimă în zahăr alb;';
  const SYS = 'Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;';

  it('scores the sacreBLEU test pair 8.493 with the 13a tokenizer', () => {
    expect(bleu(SYS, REF) * 100).toBeCloseTo(8.493, 3);
  });

  it('scores it 7.347 on whitespace tokens (sacreBLEU tokenize="none"), so the tokenizer is what differs', () => {
    expect(sentenceBleuTokens(SYS.split(' '), REF.split(' '))).toBeCloseTo(7.347, 3);
  });

  it('is 0 when no n-gram matches (sacreBLEU issue #141) and 1 for identical text', () => {
    expect(bleu('this is a cat', 'okay thanks')).toBe(0);
    expect(bleu('The dog bit the man.', 'The dog bit the man.')).toBeCloseTo(1, 12);
  });

  it('tokenizes like mteval-v13a: punctuation split off, numbers and in-word hyphens kept', () => {
    expect(tokenize13a('Hello, world. It costs 3.50 (about) x-ray 1990-2000!')).toEqual([
      'Hello',
      ',',
      'world',
      '.',
      'It',
      'costs',
      '3.50',
      '(',
      'about',
      ')',
      'x-ray',
      '1990',
      '-',
      '2000',
      '!',
    ]);
  });
});

describe('rouge_* (rouge_score fmeasure, default tokenizer, no stemmer)', () => {
  // rouge_score's testdata target.txt / prediction.txt, lines 1 and 2, with ROUGE-1.5.5's values.
  const T0 =
    "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L";
  const T1 =
    "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN";
  const P0 = "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi";
  const P1 =
    "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD";

  it('matches ROUGE-1.5.5 on rouge_score testdata for rouge_1, rouge_2 and rouge_l', () => {
    expect(rouge('rouge_1', P0, T0)).toBeCloseTo(0.51163, 5);
    expect(rouge('rouge_1', P1, T1)).toBeCloseTo(0.5, 5);
    expect(rouge('rouge_2', P0, T0)).toBeCloseTo(0.39024, 5);
    expect(rouge('rouge_2', P1, T1)).toBeCloseTo(0.36364, 5);
    expect(rouge('rouge_l', P0, T0)).toBeCloseTo(0.51163, 5);
    expect(rouge('rouge_l', P1, T1)).toBeCloseTo(0.5, 5);
  });

  it("matches rouge_score's small cases (the first argument of score() is the reference)", () => {
    expect(rouge('rouge_1', 'testing', 'testing one two')).toBeCloseTo(1 / 2, 12);
    expect(rouge('rouge_2', 'testing one', 'testing one two')).toBeCloseTo(2 / 3, 12);
    expect(rouge('rouge_l', 'testing two', 'testing one two')).toBeCloseTo(4 / 5, 12);
    expect(rouge('rouge_l', '', 'testing one two')).toBe(0);
    expect(rouge('rouge_3', 'a b c d', 'a b c d')).toBe(1);
    expect(rouge('rouge_5', 'a b c d', 'a b c d')).toBe(0);
  });
});

describe('fuzzy_match (RapidFuzz WRatio with default_process)', () => {
  it("reproduces RapidFuzz's documented examples", () => {
    expect(ratio('this is a test', 'this is a test!')).toBeCloseTo(96.55172413793103, 10);
    expect(partialRatio('this is a test', 'this is a test!')).toBe(100);
    expect(wRatio('this is a test', 'this is a new test!!!')).toBeCloseTo(85.5, 10);
    expect(wRatio('this is a word', 'THIS IS A WORD')).toBeCloseTo(21.428571428571427, 10);
    expect(wRatio(defaultProcess('this is a word'), defaultProcess('THIS IS A WORD'))).toBe(100);
  });

  it('scores 0–1 and is 1 for the same words in another case and order', () => {
    expect(fuzzyMatch('Fuzzy Wuzzy was a bear', 'wuzzy fuzzy was a bear')).toBeCloseTo(0.95, 10);
    expect(fuzzyMatch('', 'anything')).toBe(0);
    const s = fuzzyMatch('fuzzy wuzzy was a bear', 'fuzzy wuzzy had no hair');
    expect(s).toBeGreaterThan(0.5);
    expect(s).toBeLessThan(1);
  });
});

describe('gleu and meteor (NLTK 3.8)', () => {
  // NLTK's docstring pair.
  const HYP =
    'It is a guide to action which ensures that the military always obeys the commands of the party';
  const REF = 'It is a guide to action that ensures that the military will forever heed Party commands';

  it('gleu equals NLTK sentence_gleu on its docstring pair', () => {
    expect(gleu(HYP, REF)).toBeCloseTo(0.4393939393939394, 12);
    expect(gleu('a b', 'c d')).toBe(0);
  });

  it('meteor equals NLTK meteor_score on its docstring pair (no synonym involved)', () => {
    expect(meteor(HYP, REF)).toBeCloseTo(0.6944444444444445, 12);
  });

  it('meteor aligns stems ("sat"/"sitting" do not share one; "walks"/"walked" do)', () => {
    expect(meteor('she walked home', 'she walks home')).toBeGreaterThan(0.9);
  });

  it('meteor leaves out WordNet synonyms: lower than NLTK where only a synonym aligns', () => {
    // NLTK with WordNet 3.0: 0.4267 (cat~feline, mat~rug, sat~sitting); without synonyms: 0.2717.
    expect(meteor('the cat sat on the mat', 'a feline was sitting on the rug')).toBeCloseTo(
      0.2717391304347826,
      12,
    );
  });
});
