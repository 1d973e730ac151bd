//! The inverted index and the ranking described in `lookup`'s module docs.

use std::collections::{HashMap, HashSet};

use super::query::parse_scope;
use super::text::{Normalizer, compounds, words};
use super::vocabulary::Vocabulary;
use super::{Hit, Kinds, Outcome, SearchOptions};
use crate::guide::{ChallengeNumber, Guide};

/// What a result points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKey {
    /// Index into `Guide::sections`.
    Section(usize),
    /// Index into the loaded playbooks.
    Playbook(usize),
}

/// One searchable thing, in text.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub heading: String,
    /// Other names people use for it (playbook aliases).
    pub aliases: Vec<String>,
    /// Parent headings, from the top.
    pub context: Vec<String>,
    pub body: String,
    pub challenge: Option<ChallengeNumber>,
}

const HEADING: usize = 0;
const ALIASES: usize = 1;
const CONTEXT: usize = 2;
const BODY: usize = 3;
const FIELDS: usize = 4;
const FIELD_WEIGHT: [f64; FIELDS] = [4.0, 3.5, 0.6, 1.0];
const FIELD_B: [f64; FIELDS] = [0.3, 0.3, 0.3, 0.5];
const K1: f64 = 1.2;
/// Results outside the challenge a query names keep this share of their score.
const OUT_OF_SCOPE: f64 = 0.35;
/// Weight of a synonym relative to the word typed.
const SYNONYM_WEIGHT: f64 = 0.9;
/// Bonus for query words standing together in a document (0 to this much).
const PROXIMITY_WEIGHT: f64 = 0.15;

#[derive(Debug, Clone)]
struct DocInfo {
    key: DocKey,
    challenge: Option<ChallengeNumber>,
    is_challenge: bool,
    lengths: [f64; FIELDS],
    /// Content terms of the heading (and of each alias), for the coverage bonus.
    heading_terms: Vec<HashSet<u32>>,
}

#[derive(Debug, Clone, Copy)]
struct Posting {
    doc: u32,
    tf: [u16; FIELDS],
}

/// The in-memory index. Built once per guide load; searching allocates only per query.
#[derive(Debug)]
pub struct Index {
    normalizer: Normalizer,
    vocabulary: Vocabulary,
    docs: Vec<DocInfo>,
    term_ids: HashMap<String, u32>,
    postings: Vec<Vec<Posting>>,
    idf: Vec<f64>,
    average_length: [f64; FIELDS],
    /// Every word seen, sorted, with the term it normalises to: for prefixes and typos.
    surface: Vec<(String, u32)>,
    surface_ids: HashMap<String, u32>,
    /// Each document's content terms in order (heading, then body; stop words left out),
    /// for proximity: a section where the query's words stand close together
    /// ("teams will not complete all the challenges") answers it better than one where
    /// they are scattered.
    sequences: Vec<Vec<u32>>,
    /// Deletion neighbourhood: the hash of a word with up to two letters deleted →
    /// surface indices. Hashes, not strings: building it allocates nothing per variant,
    /// and every candidate is checked with strsim anyway.
    deletions: HashMap<u64, Vec<u32>>,
    max_challenge: ChallengeNumber,
}

/// Part of a query with one meaning, and the ways the guide may say it.
#[derive(Debug, Clone)]
struct Slot {
    /// The words as typed, for "which words matched".
    typed: String,
    alternatives: Vec<Alternative>,
}

#[derive(Debug, Clone)]
struct Alternative {
    terms: Vec<u32>,
    weight: f64,
}

impl Index {
    /// Indexes the guide's sections (as `DocKey::Section`) and any extra documents (as
    /// `DocKey::Playbook`, in order).
    pub fn build(guide: &Guide, playbooks: &[Document], vocabulary: Vocabulary) -> Index {
        let mut documents: Vec<(DocKey, Document, bool)> = Vec::new();
        for (i, section) in guide.sections.iter().enumerate() {
            // A file's preamble has no heading of its own: its title is context, not a
            // claim to be about every word in it.
            let (heading, context) = match section.path.split_last() {
                Some((heading, parents)) => (heading.clone(), parents.to_vec()),
                None => (String::new(), vec![section.document.clone()]),
            };
            let document = Document {
                heading,
                aliases: Vec::new(),
                context,
                body: section.plain_text(),
                challenge: section.challenge,
            };
            documents.push((DocKey::Section(i), document, section.is_challenge));
        }
        for (i, playbook) in playbooks.iter().enumerate() {
            documents.push((DocKey::Playbook(i), playbook.clone(), false));
        }
        let max_challenge = guide.challenge_numbers().last().copied().unwrap_or(0);
        Index::from_documents(documents, vocabulary, max_challenge)
    }

    fn from_documents(
        documents: Vec<(DocKey, Document, bool)>,
        vocabulary: Vocabulary,
        max_challenge: ChallengeNumber,
    ) -> Index {
        let normalizer = Normalizer::default();
        let mut term_ids: HashMap<String, u32> = HashMap::new();
        let mut postings: Vec<Vec<Posting>> = Vec::new();
        let mut surface_ids: HashMap<String, u32> = HashMap::new();
        let mut docs = Vec::with_capacity(documents.len());
        let mut total_length = [0.0; FIELDS];
        let mut sequences: Vec<Vec<u32>> = Vec::new();

        let intern = |term: String, term_ids: &mut HashMap<String, u32>, postings: &mut Vec<Vec<Posting>>| -> u32 {
            if let Some(&id) = term_ids.get(&term) {
                return id;
            }
            let id = postings.len() as u32;
            postings.push(Vec::new());
            term_ids.insert(term, id);
            id
        };

        for (doc_number, (key, document, is_challenge)) in documents.into_iter().enumerate() {
            let mut fields: [Vec<String>; FIELDS] = Default::default();
            fields[HEADING] = field_words(&document.heading);
            fields[ALIASES] = document.aliases.iter().flat_map(|a| field_words(a)).collect();
            fields[CONTEXT] = document.context.iter().flat_map(|c| field_words(c)).collect();
            fields[BODY] = field_words(&document.body);
            let mut counts: HashMap<u32, [u16; FIELDS]> = HashMap::new();
            let mut lengths = [0.0; FIELDS];
            for (field, field_words) in fields.iter().enumerate() {
                lengths[field] = field_words.len() as f64;
                total_length[field] += lengths[field];
                for word in field_words {
                    let term = normalizer.term(word);
                    let id = intern(term, &mut term_ids, &mut postings);
                    surface_ids.entry(word.clone()).or_insert(id);
                    let tf = counts.entry(id).or_insert([0; FIELDS]);
                    tf[field] = tf[field].saturating_add(1);
                }
            }
            for (id, tf) in counts {
                postings[id as usize].push(Posting { doc: doc_number as u32, tf });
            }
            let sequence: Vec<u32> = words(&format!("{}\n{}", document.heading, document.body))
                .iter()
                .filter(|w| !vocabulary.is_stopword(w))
                .filter_map(|w| term_ids.get(&normalizer.term(w)).copied())
                .collect();
            sequences.push(sequence);
            let content_terms = |text: &str| -> HashSet<u32> {
                let mut heading_words = words(text);
                if let Some(n) = document.challenge {
                    // "Challenge 1 Follow Up Questions": the challenge reference is scope,
                    // not content.
                    let n = n.to_string();
                    heading_words.retain(|w| w != "challenge" && *w != n);
                }
                heading_words
                    .iter()
                    .filter(|w| !vocabulary.is_stopword(w))
                    .filter_map(|w| term_ids.get(&normalizer.term(w)).copied())
                    .collect()
            };
            let mut heading_terms = vec![content_terms(&document.heading)];
            heading_terms.extend(document.aliases.iter().map(|a| content_terms(a)));
            heading_terms.retain(|set| !set.is_empty());
            docs.push(DocInfo { key, challenge: document.challenge, is_challenge, lengths, heading_terms });
        }

        let count = docs.len().max(1) as f64;
        let average_length = total_length.map(|total| (total / count).max(1.0));
        let idf = postings
            .iter()
            .map(|list| {
                let df = list.len() as f64;
                (1.0 + (count - df + 0.5) / (df + 0.5)).ln()
            })
            .collect();
        let mut surface: Vec<(String, u32)> = surface_ids.iter().map(|(w, &id)| (w.clone(), id)).collect();
        surface.sort();
        let mut deletions: HashMap<u64, Vec<u32>> = HashMap::new();
        for (i, (word, _)) in surface.iter().enumerate() {
            let distance = max_typos(word);
            if distance == 0 {
                continue;
            }
            for variant in deletion_hashes(word, distance) {
                let list = deletions.entry(variant).or_default();
                if list.last() != Some(&(i as u32)) {
                    list.push(i as u32);
                }
            }
        }
        Index {
            normalizer,
            vocabulary,
            docs,
            term_ids,
            postings,
            idf,
            average_length,
            surface,
            surface_ids,
            sequences,
            deletions,
            max_challenge,
        }
    }

    /// The highest challenge number in the guide (0 when it has none).
    pub fn max_challenge(&self) -> ChallengeNumber {
        self.max_challenge
    }

    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    /// Ranks documents for `query`.
    pub fn search(&self, query: &str, options: &SearchOptions) -> Outcome {
        self.search_where(query, options, &|_| true)
    }

    /// Like `search`, over only the documents `keep` accepts (a team member's lookup
    /// leaves out coach-only sections, so it answers with what they may read).
    pub fn search_where(&self, query: &str, options: &SearchOptions, keep: &dyn Fn(DocKey) -> bool) -> Outcome {
        let all_words = words(query);
        let scope = parse_scope(&all_words, self.max_challenge);
        let slots = self.slots(&scope.words, options.prefix_last);
        let unmatched: Vec<String> =
            slots.iter().filter(|slot| slot.alternatives.is_empty()).map(|slot| slot.typed.clone()).collect();

        let wanted = |key: &DocKey| match (options.kinds, key) {
            (Kinds::Both, _) | (Kinds::Sections, DocKey::Section(_)) | (Kinds::Playbooks, DocKey::Playbook(_)) => {
                keep(*key)
            }
            _ => false,
        };

        let mut scored: Vec<(usize, f64, Vec<String>)> = if slots.is_empty() {
            // Only a scope ("challenge 2"): the challenge itself, then its parts.
            let Some(challenge) = scope.challenge else {
                return Outcome { hits: Vec::new(), confident: false, scope: None, unmatched };
            };
            self.docs
                .iter()
                .enumerate()
                .filter(|(_, doc)| doc.challenge == Some(challenge) && wanted(&doc.key))
                .map(|(i, doc)| (i, if doc.is_challenge { 1.0 } else { 0.5 }, Vec::new()))
                .collect()
        } else {
            self.score(&slots, scope.challenge, &wanted)
        };

        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        if let Some(preferred) = options.prefer_challenge
            && let Some(top) = scored.first().map(|s| s.1)
        {
            // Autocomplete: the team's own challenge first among results worth showing.
            scored.retain(|s| s.1 >= top * 0.3);
            scored.sort_by_key(|s| self.docs[s.0].challenge != Some(preferred));
        }
        scored.retain(|s| s.1 >= options.min_score);
        scored.truncate(options.limit.max(1));

        let confident = match scored.as_slice() {
            [] => false,
            [only] => only.1 >= options.min_score * 2.0,
            [first, second, ..] => {
                first.1 >= second.1 * options.confidence_ratio
                    || self.covers_heading(first.0, &slots) && !self.covers_heading(second.0, &slots)
            }
        };
        let hits =
            scored.into_iter().map(|(doc, score, matched)| Hit { key: self.docs[doc].key, score, matched }).collect();
        Outcome { hits, confident, scope: scope.challenge, unmatched }
    }

    /// BM25F per slot, best alternative per slot, normalised, with the heading bonus
    /// and the scope applied.
    fn score(
        &self,
        slots: &[Slot],
        scope: Option<ChallengeNumber>,
        wanted: &dyn Fn(&DocKey) -> bool,
    ) -> Vec<(usize, f64, Vec<String>)> {
        let doc_count = self.docs.len();
        let mut totals = vec![0.0; doc_count];
        let mut matched: Vec<Vec<usize>> = vec![Vec::new(); doc_count];
        let mut matched_terms: Vec<HashSet<u32>> = vec![HashSet::new(); doc_count];
        let mut possible = 0.0;
        let mut slot_best = vec![0.0; doc_count];
        let mut alternative_score = vec![0.0; doc_count];
        let mut alternative_hits = vec![0u32; doc_count];
        let mut answered_slots = 0usize;

        for (slot_number, slot) in slots.iter().enumerate() {
            if slot.alternatives.is_empty() {
                continue;
            }
            answered_slots += 1;
            possible += slot
                .alternatives
                .iter()
                .map(|alt| alt.weight * alt.terms.iter().map(|&t| self.idf[t as usize]).sum::<f64>())
                .fold(0.0, f64::max);
            slot_best.iter_mut().for_each(|s| *s = 0.0);
            for alternative in &slot.alternatives {
                alternative_score.iter_mut().for_each(|s| *s = 0.0);
                alternative_hits.iter_mut().for_each(|h| *h = 0);
                for &term in &alternative.terms {
                    let idf = self.idf[term as usize];
                    for posting in &self.postings[term as usize] {
                        let doc = posting.doc as usize;
                        alternative_score[doc] += idf * self.saturated_tf(doc, &posting.tf);
                        alternative_hits[doc] += 1;
                        matched_terms[doc].insert(term);
                    }
                }
                let length = alternative.terms.len() as f64;
                for doc in 0..doc_count {
                    // A phrase ("key vault") counts fully only where all its words are;
                    // half of it counts a quarter. A phrase the query did not type (a
                    // synonym: acr → "azure container registry") counts only whole: one of
                    // its words alone ("azure") says nothing about what was asked.
                    let coverage = f64::from(alternative_hits[doc]) / length;
                    let whole_only = alternative.weight < 1.0 && alternative.terms.len() > 1;
                    let coverage = if whole_only && coverage < 1.0 { 0.0 } else { coverage };
                    let score = alternative.weight * alternative_score[doc] * coverage * coverage;
                    if score > slot_best[doc] {
                        slot_best[doc] = score;
                    }
                }
            }
            for doc in 0..doc_count {
                if slot_best[doc] > 0.0 {
                    totals[doc] += slot_best[doc];
                    matched[doc].push(slot_number);
                }
            }
        }
        if possible <= 0.0 {
            return Vec::new();
        }
        // Words that matched nothing anywhere lower every score a little: the query asked
        // for more than the guide has.
        let answered_share = (answered_slots as f64 / slots.len() as f64).sqrt();

        (0..doc_count)
            .filter(|&doc| totals[doc] > 0.0 && wanted(&self.docs[doc].key))
            .map(|doc| {
                let relevance = (totals[doc] / possible).min(1.0);
                let coverage = self.docs[doc]
                    .heading_terms
                    .iter()
                    .map(|heading| {
                        heading.iter().filter(|t| matched_terms[doc].contains(t)).count() as f64 / heading.len() as f64
                    })
                    .fold(0.0, f64::max);
                let slot_share = matched[doc].len() as f64 / answered_slots.max(1) as f64;
                let proximity = if matched[doc].len() >= 2 { self.proximity(doc, slots, &matched[doc]) } else { 0.0 };
                // Coordination: a section that answers every part of the query beats a
                // shorter one that answers half of it, whatever BM25's length norm says.
                let coordination = slot_share.sqrt();
                let mut score = (0.7 * relevance * coordination
                    + 0.3 * coverage * slot_share
                    + PROXIMITY_WEIGHT * proximity * slot_share)
                    * answered_share;
                if scope.is_some() && self.docs[doc].challenge != scope {
                    score *= OUT_OF_SCOPE;
                }
                let typed = matched[doc].iter().map(|&s| slots[s].typed.clone()).collect();
                (doc, score, typed)
            })
            .collect()
    }

    /// How closely the matched slots stand in the document: the number of slots over the
    /// length of the shortest run of content words holding one term of each (1 when
    /// they stand side by side).
    fn proximity(&self, doc: usize, slots: &[Slot], matched: &[usize]) -> f64 {
        let sequence = &self.sequences[doc];
        let slot_of =
            |term: u32| matched.iter().position(|&s| slots[s].alternatives.iter().any(|a| a.terms.contains(&term)));
        let marks: Vec<Option<usize>> = sequence.iter().map(|&t| slot_of(t)).collect();
        let wanted = matched.len();
        let mut counts = vec![0usize; wanted];
        let (mut covered, mut start, mut best) = (0, 0, usize::MAX);
        for end in 0..marks.len() {
            let Some(slot) = marks[end] else { continue };
            counts[slot] += 1;
            if counts[slot] == 1 {
                covered += 1;
            }
            while covered == wanted {
                best = best.min(end - start + 1);
                if let Some(first) = marks[start] {
                    counts[first] -= 1;
                    if counts[first] == 0 {
                        covered -= 1;
                    }
                }
                start += 1;
            }
        }
        if best == usize::MAX { 0.0 } else { wanted as f64 / best as f64 }
    }

    fn saturated_tf(&self, doc: usize, tf: &[u16; FIELDS]) -> f64 {
        let info = &self.docs[doc];
        let mut weighted = 0.0;
        for field in 0..FIELDS {
            if tf[field] == 0 {
                continue;
            }
            let norm = 1.0 - FIELD_B[field] + FIELD_B[field] * info.lengths[field] / self.average_length[field];
            weighted += FIELD_WEIGHT[field] * f64::from(tf[field]) / norm;
        }
        weighted / (K1 + weighted)
    }

    /// True when every content word of the document's heading (or of one alias) is
    /// among the query's slots.
    fn covers_heading(&self, doc: usize, slots: &[Slot]) -> bool {
        let query_terms: HashSet<u32> =
            slots.iter().flat_map(|s| s.alternatives.iter().flat_map(|a| a.terms.iter().copied())).collect();
        self.docs[doc].heading_terms.iter().any(|heading| heading.iter().all(|t| query_terms.contains(t)))
    }

    /// Cuts the query's words into slots: synonym phrases first (longest match), then
    /// compounds of two words, then single words.
    fn slots(&self, query_words: &[String], prefix_last: bool) -> Vec<Slot> {
        let content: Vec<String> = {
            let kept: Vec<String> = query_words.iter().filter(|w| !self.vocabulary.is_stopword(w)).cloned().collect();
            if kept.is_empty() { query_words.to_vec() } else { kept }
        };
        let mut slots = Vec::new();
        let mut i = 0;
        while i < content.len() {
            let is_last = |end: usize| prefix_last && end == content.len();
            if let Some((length, group)) = self.synonym_at(&content[i..]) {
                let typed = content[i..i + length].join(" ");
                let mut alternatives = Vec::new();
                for phrase in &self.vocabulary.groups[group] {
                    let weight = if phrase.as_slice() == &content[i..i + length] { 1.0 } else { SYNONYM_WEIGHT };
                    if let Some(terms) = self.phrase_terms(phrase) {
                        alternatives.push(Alternative { terms, weight });
                    }
                }
                if alternatives.is_empty() {
                    // The group names nothing in this guide: fall back to the words' own
                    // alternatives (typos, prefixes).
                    for word in &content[i..i + length] {
                        alternatives.extend(self.word_alternatives(word, false));
                    }
                }
                slots.push(Slot { typed, alternatives });
                i += length;
                continue;
            }
            if let Some(next) = content.get(i + 1) {
                let joined = format!("{}{}", content[i], next);
                if let Some(&term) = self.surface_ids.get(&joined) {
                    let mut alternatives = vec![Alternative { terms: vec![term], weight: 1.0 }];
                    if let Some(terms) = self.phrase_terms(&content[i..i + 2]) {
                        alternatives.push(Alternative { terms, weight: 0.9 });
                    }
                    slots.push(Slot { typed: content[i..i + 2].join(" "), alternatives });
                    i += 2;
                    continue;
                }
            }
            let word = &content[i];
            slots.push(Slot { typed: word.clone(), alternatives: self.word_alternatives(word, is_last(i + 1)) });
            i += 1;
        }
        slots
    }

    /// The longest synonym phrase at the start of `words`: (its length, its group).
    fn synonym_at(&self, words: &[String]) -> Option<(usize, usize)> {
        let mut best: Option<(usize, usize)> = None;
        for (group_number, group) in self.vocabulary.groups.iter().enumerate() {
            for phrase in group {
                if phrase.len() <= words.len()
                    && phrase.as_slice() == &words[..phrase.len()]
                    && best.is_none_or(|(length, _)| phrase.len() > length)
                {
                    best = Some((phrase.len(), group_number));
                }
            }
        }
        best
    }

    /// The index terms of a phrase, or `None` when a word of it is not in the guide.
    fn phrase_terms(&self, phrase: &[String]) -> Option<Vec<u32>> {
        phrase.iter().map(|w| self.exact_term(w)).collect()
    }

    fn exact_term(&self, word: &str) -> Option<u32> {
        self.surface_ids.get(word).copied().or_else(|| self.term_ids.get(&self.normalizer.term(word)).copied())
    }

    /// A word's alternatives: itself; when the guide lacks it, near spellings and
    /// two-word splits; as the last word of an autocomplete query, completions too.
    fn word_alternatives(&self, word: &str, prefix: bool) -> Vec<Alternative> {
        let mut alternatives = Vec::new();
        let exact = self.exact_term(word);
        if let Some(term) = exact {
            alternatives.push(Alternative { terms: vec![term], weight: 1.0 });
        }
        if exact.is_none() {
            for (term, distance) in self.near_words(word) {
                alternatives.push(Alternative { terms: vec![term], weight: 1.0 - 0.3 * f64::from(distance) });
            }
            alternatives.extend(self.splits(word));
        }
        if exact.is_none() || prefix {
            alternatives.extend(self.completions(word));
        }
        alternatives
    }

    /// Words of the guide within the typo budget of `word`, with their distance.
    fn near_words(&self, word: &str) -> Vec<(u32, u32)> {
        let budget = max_typos(word);
        if budget == 0 {
            return Vec::new();
        }
        let mut seen = HashSet::new();
        let mut found = Vec::new();
        for variant in deletion_hashes(word, budget) {
            let Some(candidates) = self.deletions.get(&variant) else { continue };
            for &candidate in candidates {
                if !seen.insert(candidate) {
                    continue;
                }
                let (surface_word, term) = &self.surface[candidate as usize];
                let distance = strsim::damerau_levenshtein(word, surface_word) as u32;
                if distance <= budget.min(max_typos(surface_word)).max(1) {
                    found.push((*term, distance));
                }
            }
        }
        found.sort_by_key(|&(term, distance)| (distance, term));
        found.dedup_by_key(|f| f.0);
        found.truncate(6);
        found
    }

    /// Guide words starting with `word` (at least three letters typed).
    fn completions(&self, word: &str) -> Vec<Alternative> {
        if word.chars().count() < 3 {
            return Vec::new();
        }
        let start = self.surface.partition_point(|(w, _)| w.as_str() < word);
        self.surface[start..]
            .iter()
            .take_while(|(w, _)| w.starts_with(word))
            .filter(|(w, _)| w.len() > word.len())
            .take(8)
            .map(|(w, term)| Alternative {
                terms: vec![*term],
                weight: 0.6 + 0.3 * (word.len() as f64 / w.len() as f64),
            })
            .collect()
    }

    /// `keyvault` → `key` + `vault` when both are guide words.
    fn splits(&self, word: &str) -> Vec<Alternative> {
        let chars: Vec<(usize, char)> = word.char_indices().collect();
        if chars.len() < 6 {
            return Vec::new();
        }
        let mut found = Vec::new();
        for &(at, _) in &chars[3..chars.len() - 2] {
            let (left, right) = word.split_at(at);
            if let (Some(&a), Some(&b)) = (self.surface_ids.get(left), self.surface_ids.get(right)) {
                found.push(Alternative { terms: vec![a, b], weight: 0.85 });
            }
        }
        found
    }
}

/// Words of a field for the index: the words themselves plus joined compounds.
fn field_words(text: &str) -> Vec<String> {
    let mut all = words(text);
    all.extend(compounds(text));
    all
}

/// How many typos a word of this length may carry and still be recognised. Words longer
/// than 16 letters are joined compounds, URLs and the like: nobody retypes them with a
/// typo, and their deletion neighbourhoods would be most of the index.
fn max_typos(word: &str) -> u32 {
    match word.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        8..=16 => 2,
        _ => 0,
    }
}

/// Hashes of `word` with every combination of up to `distance` (at most 2) characters
/// deleted, itself included. May repeat a hash; callers deduplicate.
fn deletion_hashes(word: &str, distance: u32) -> Vec<u64> {
    let chars: Vec<char> = word.chars().collect();
    let n = chars.len();
    let hash = |skip_a: usize, skip_b: usize| {
        let mut hash: u64 = 0xcbf29ce484222325;
        for (i, &c) in chars.iter().enumerate() {
            if i != skip_a && i != skip_b {
                hash ^= u64::from(c);
                hash = hash.wrapping_mul(0x100000001b3);
            }
        }
        hash
    };
    let mut hashes = vec![hash(usize::MAX, usize::MAX)];
    if distance >= 1 {
        hashes.extend((0..n).map(|a| hash(a, usize::MAX)));
    }
    if distance >= 2 {
        for a in 0..n {
            hashes.extend((a + 1..n).map(|b| hash(a, b)));
        }
    }
    hashes
}
