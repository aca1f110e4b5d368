package memory

import (
	"math"
)

// BM25 parameters (the usual Robertson/Zaragoza values).
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// termFreq is one distinct term of a doc and how often it occurs.
type termFreq struct {
	term string
	n    int32
}

// doc is one parsed wisdom file with its term frequencies.
type doc struct {
	name  string
	entry Entry
	terms []termFreq
	len   int
}

func newDoc(name string, e Entry) *doc {
	d := &doc{name: name, entry: e}
	tf := map[string]int32{}
	for _, t := range tokenize(e.searchText()) {
		if tf[t] == 0 {
			d.terms = append(d.terms, termFreq{term: t})
		}
		tf[t]++
		d.len++
	}
	for i := range d.terms {
		d.terms[i].n = tf[d.terms[i].term]
	}
	return d
}

type posting struct {
	doc int32
	tf  int32
}

// index is a BM25 index over a set of docs. Docs are added one at a time
// (a live store grows by a few entries between reads) and removed by
// rebuilding without them, which needs no tokenizing: postings are
// filtered. It is guarded by its Store's mutex.
type index struct {
	docs     []*doc
	postings map[string][]posting
	totalLen int
	// winner is the doc of each work item that no other supersedes;
	// superseded marks the others (see Entry.supersedes).
	winner     map[string]int32
	superseded []bool
}

func newIndex() *index {
	return &index{postings: make(map[string][]posting, 4096), winner: map[string]int32{}}
}

func (ix *index) avgLen() float64 {
	if len(ix.docs) == 0 {
		return 0
	}
	return float64(ix.totalLen) / float64(len(ix.docs))
}

// add appends d, whose terms must be set.
func (ix *index) add(d *doc) {
	i := int32(len(ix.docs))
	ix.docs = append(ix.docs, d)
	ix.superseded = append(ix.superseded, false)
	ix.totalLen += d.len
	for _, t := range d.terms {
		ix.postings[t.term] = append(ix.postings[t.term], posting{doc: i, tf: t.n})
	}
	ix.settle(i)
}

// settle decides whether doc i or its item's current winner is superseded.
func (ix *index) settle(i int32) {
	d := ix.docs[i]
	src := d.entry.source()
	if src == "" {
		return
	}
	w, ok := ix.winner[src]
	switch {
	case !ok:
		ix.winner[src] = i
	case d.entry.supersedes(&ix.docs[w].entry):
		ix.superseded[w] = true
		ix.winner[src] = i
	default:
		ix.superseded[i] = true
	}
}

// without returns a new index of the docs whose names are not in gone.
func (ix *index) without(gone map[string]bool) *index {
	out := newIndex()
	pos := make([]int32, len(ix.docs))
	for i, d := range ix.docs {
		if gone[d.name] {
			pos[i] = -1
			continue
		}
		pos[i] = int32(len(out.docs))
		out.docs = append(out.docs, d)
		out.superseded = append(out.superseded, false)
		out.totalLen += d.len
	}
	for t, ps := range ix.postings {
		var kept []posting
		for _, p := range ps {
			if n := pos[p.doc]; n >= 0 {
				kept = append(kept, posting{doc: n, tf: p.tf})
			}
		}
		if len(kept) > 0 {
			out.postings[t] = kept
		}
	}
	for i := range out.docs {
		out.settle(int32(i))
	}
	return out
}

// score returns the BM25 score of every doc for the query terms (each
// distinct term counted once).
func (ix *index) score(terms []string) []float64 {
	scores := make([]float64, len(ix.docs))
	n := float64(len(ix.docs))
	avg := ix.avgLen()
	seen := map[string]bool{}
	for _, t := range terms {
		if seen[t] {
			continue
		}
		seen[t] = true
		ps := ix.postings[t]
		if len(ps) == 0 {
			continue
		}
		df := float64(len(ps))
		idf := math.Log(1 + (n-df+0.5)/(df+0.5))
		for _, p := range ps {
			tf := float64(p.tf)
			norm := 1 - bm25B + bm25B*float64(ix.docs[p.doc].len)/avg
			scores[p.doc] += idf * tf * (bm25K1 + 1) / (tf + bm25K1*norm)
		}
	}
	return scores
}
