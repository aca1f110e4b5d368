package memory

import (
	"math"
	"sort"
)

// BM25 parameters (the usual Robertson/Zaragoza values).
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// doc is one parsed wisdom file with its term frequencies.
type doc struct {
	name  string
	entry Entry
	tf    map[string]int32
	len   int
}

func newDoc(name string, e Entry) *doc {
	d := &doc{name: name, entry: e, tf: map[string]int32{}}
	for _, t := range tokenize(e.searchText()) {
		d.tf[t]++
		d.len++
	}
	return d
}

type posting struct {
	doc int32
	tf  int32
}

// index is an immutable BM25 index over a set of docs.
type index struct {
	docs     []*doc
	postings map[string][]posting
	avgLen   float64
}

func newIndex(docs []*doc) *index {
	sort.Slice(docs, func(i, j int) bool { return docs[i].name < docs[j].name })
	ix := &index{docs: docs, postings: map[string][]posting{}}
	total := 0
	for i, d := range docs {
		total += d.len
		for t, n := range d.tf {
			ix.postings[t] = append(ix.postings[t], posting{doc: int32(i), tf: n})
		}
	}
	if len(docs) > 0 {
		ix.avgLen = float64(total) / float64(len(docs))
	}
	return ix
}

// score returns the BM25 score of every doc for the query terms (each
// distinct term counted once).
func (ix *index) score(terms []string) []float64 {
	scores := make([]float64, len(ix.docs))
	n := float64(len(ix.docs))
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
			norm := 1 - bm25B + bm25B*float64(ix.docs[p.doc].len)/ix.avgLen
			scores[p.doc] += idf * tf * (bm25K1 + 1) / (tf + bm25K1*norm)
		}
	}
	return scores
}
