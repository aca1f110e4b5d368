package llm

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Preview limits, chosen so a preview stays useful on wide or huge data.
const (
	previewDirEntries = 10      // entries listed per directory
	previewDepth      = 3       // directory levels listed
	previewSampleRows = 200     // rows read to infer column types
	previewSampleSize = 1 << 20 // bytes read for the sample
	previewColumns    = 30      // columns described per table
	previewExamples   = 3       // example values per column
	previewValueLen   = 40      // characters kept of one example value
	previewCountLimit = 256 << 20
)

// Preview describes the data in publicDir for the model, in at most budget
// characters (bytes; a budget of 0 or less means 8000): the file tree with
// sizes (at most 10 entries per directory, 3 levels deep), then for each
// CSV or TSV file (also gzipped) its row count, and per column the inferred
// type (int, float, bool, date, text), empty values in the sample and a few
// example values. Paths are relative to publicDir. Tables share what the
// tree leaves of the budget equally; each section is cut at a line.
func Preview(publicDir string, budget int) (string, error) {
	if budget <= 0 {
		budget = 8000
	}
	st, err := os.Stat(publicDir)
	if err != nil {
		return "", fmt.Errorf("preview data: %w", err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("preview data: %s is not a directory", publicDir)
	}
	var tree strings.Builder
	var tables []string
	tree.WriteString("Files (paths relative to the input directory):\n")
	if err := walkTree(&tree, publicDir, "", 0, &tables); err != nil {
		return "", fmt.Errorf("preview data: %w", err)
	}
	sort.SliceStable(tables, func(i, j int) bool {
		di, dj := strings.Count(tables[i], "/"), strings.Count(tables[j], "/")
		if di != dj {
			return di < dj
		}
		return tables[i] < tables[j]
	})
	treeText := cutLines(tree.String(), max(budget*2/5, budget-len(tables)*400))
	var out strings.Builder
	out.WriteString(treeText)
	if len(tables) > 0 {
		share := (budget - len(treeText)) / len(tables)
		for _, rel := range tables {
			if share < 80 {
				fmt.Fprintf(&out, "\n(%d more table(s) not described for length)\n", len(tables)-countDescribed(out.String()))
				break
			}
			out.WriteString("\n")
			out.WriteString(cutLines(describeTable(filepath.Join(publicDir, rel), rel), share-1))
		}
	}
	return cutLines(out.String(), budget), nil
}

func countDescribed(s string) int { return strings.Count(s, "\n-> ") }

// walkTree lists dir (relative path rel) into b and collects table files.
func walkTree(b *strings.Builder, root, rel string, depth int, tables *[]string) error {
	entries, err := os.ReadDir(filepath.Join(root, rel))
	if err != nil {
		return err
	}
	indent := strings.Repeat("  ", depth)
	shown := 0
	var hiddenFiles, hiddenDirs int
	var hiddenBytes int64
	for _, e := range entries {
		p := filepath.Join(rel, e.Name())
		info, err := os.Stat(filepath.Join(root, p)) // follows links
		if err != nil {
			continue
		}
		if info.IsDir() {
			n, size := dirStats(filepath.Join(root, p))
			if shown >= previewDirEntries {
				hiddenDirs++
				hiddenBytes += size
				continue
			}
			shown++
			fmt.Fprintf(b, "%s%s/ (%d files, %s)\n", indent, e.Name(), n, humanSize(size))
			if depth+1 < previewDepth {
				if err := walkTree(b, root, p, depth+1, tables); err != nil {
					return err
				}
			}
			continue
		}
		if isTable(e.Name()) {
			*tables = append(*tables, filepath.ToSlash(p))
		}
		if shown >= previewDirEntries {
			hiddenFiles++
			hiddenBytes += info.Size()
			continue
		}
		shown++
		fmt.Fprintf(b, "%s%s (%s)\n", indent, e.Name(), humanSize(info.Size()))
	}
	if hiddenFiles+hiddenDirs > 0 {
		var more []string
		if hiddenFiles > 0 {
			more = append(more, fmt.Sprintf("%d more files", hiddenFiles))
		}
		if hiddenDirs > 0 {
			more = append(more, fmt.Sprintf("%d more directories", hiddenDirs))
		}
		fmt.Fprintf(b, "%s... and %s (%s)\n", indent, strings.Join(more, " and "), humanSize(hiddenBytes))
	}
	return nil
}

// dirStats counts the files below dir and their total size.
func dirStats(dir string) (files int, size int64) {
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if info, err := d.Info(); err == nil {
			files++
			size += info.Size()
		}
		return nil
	})
	return files, size
}

func isTable(name string) bool {
	n := strings.ToLower(name)
	n = strings.TrimSuffix(n, ".gz")
	return strings.HasSuffix(n, ".csv") || strings.HasSuffix(n, ".tsv")
}

func humanSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, u := range []string{"kB", "MB", "GB", "TB"} {
		f /= unit
		if f < unit {
			return fmt.Sprintf("%.1f %s", f, u)
		}
	}
	return fmt.Sprintf("%.1f PB", f/unit)
}

// describeTable renders one table's section; read problems are reported in
// the text, not as errors, so one odd file does not hide the others.
func describeTable(path, rel string) string {
	var b strings.Builder
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("-> %s: cannot read: %v\n", rel, err)
	}
	defer f.Close()
	var r io.Reader = f
	gz := strings.HasSuffix(strings.ToLower(rel), ".gz")
	if gz {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Sprintf("-> %s: cannot read gzip: %v\n", rel, err)
		}
		defer zr.Close()
		r = zr
	}
	sample, _ := io.ReadAll(io.LimitReader(r, previewSampleSize))
	truncated := len(sample) == previewSampleSize
	if truncated {
		// Drop the last, probably partial, line.
		if i := bytes.LastIndexByte(sample, '\n'); i > 0 {
			sample = sample[:i+1]
		}
	}
	cr := csv.NewReader(bytes.NewReader(sample))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = false
	if strings.HasSuffix(strings.TrimSuffix(strings.ToLower(rel), ".gz"), ".tsv") {
		cr.Comma = '\t'
	}
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Sprintf("-> %s: empty\n", rel)
		}
		return fmt.Sprintf("-> %s: not a readable table: %v\n", rel, err)
	}
	var rows [][]string
	records := 0
	for {
		rec, err := cr.Read()
		if err != nil {
			break
		}
		records++
		if len(rows) < previewSampleRows {
			rows = append(rows, rec)
		}
	}
	fmt.Fprintf(&b, "-> %s: %s, %d columns\n", rel, rowCount(path, gz, truncated, records), len(header))
	for i, name := range header {
		if i == previewColumns {
			rest := header[i:]
			names := strings.Join(rest, ", ")
			if len(names) > 300 {
				names = names[:300] + "..."
			}
			fmt.Fprintf(&b, "   ... and %d more columns: %s\n", len(rest), names)
			break
		}
		b.WriteString("   ")
		b.WriteString(describeColumn(name, i, rows, truncated || records > len(rows)))
		b.WriteString("\n")
	}
	return b.String()
}

// rowCount counts data rows (lines after the header) of a plain file up to
// a size limit; larger or compressed files get an estimate or a lower bound.
func rowCount(path string, gz, truncated bool, sampled int) string {
	if !truncated {
		return fmt.Sprintf("%d rows", sampled)
	}
	info, err := os.Stat(path)
	if gz || err != nil || info.Size() > previewCountLimit {
		if !gz && err == nil && sampled > 0 {
			perRow := float64(previewSampleSize) / float64(sampled+1)
			return fmt.Sprintf("about %d rows (estimated from size)", int64(float64(info.Size())/perRow))
		}
		return fmt.Sprintf("more than %d rows", sampled)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("more than %d rows", sampled)
	}
	defer f.Close()
	var lines int
	var last byte = '\n'
	buf := make([]byte, 1<<20)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			lines += bytes.Count(buf[:n], []byte{'\n'})
			last = buf[n-1]
		}
		if err != nil {
			break
		}
	}
	if last != '\n' {
		lines++
	}
	return fmt.Sprintf("%d rows", max(lines-1, 0))
}

// describeColumn infers one column's type from the sample.
// partial says the rows are only the first ones of the table.
func describeColumn(name string, col int, rows [][]string, partial bool) string {
	kinds := map[string]int{}
	var empty, seen int
	var examples []string
	distinct := map[string]bool{}
	lo, hi, haveRange := 0.0, 0.0, false
	for _, r := range rows {
		if col >= len(r) {
			continue
		}
		v := strings.TrimSpace(r[col])
		seen++
		if v == "" || strings.EqualFold(v, "nan") || v == "NA" || strings.EqualFold(v, "null") {
			empty++
			continue
		}
		k := valueKind(v)
		kinds[k]++
		if k == "int" || k == "float" {
			f, _ := strconv.ParseFloat(v, 64)
			if !haveRange {
				lo, hi, haveRange = f, f, true
			}
			lo, hi = min(lo, f), max(hi, f)
		}
		if !distinct[v] {
			distinct[v] = true
			if len(examples) < previewExamples {
				if len(v) > previewValueLen {
					v = v[:previewValueLen] + "..."
				}
				examples = append(examples, strconv.Quote(v))
			}
		}
	}
	kind := "text"
	switch n := seen - empty; {
	case n == 0:
		kind = "empty"
	case kinds["int"] == n:
		kind = "int"
	case kinds["int"]+kinds["float"] == n:
		kind = "float"
	case kinds["bool"] == n:
		kind = "bool"
	case kinds["date"] == n:
		kind = "date"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s", name, kind)
	if empty > 0 {
		fmt.Fprintf(&b, ", %d of %d empty", empty, seen)
		if partial {
			b.WriteString(" in the first rows")
		}
	}
	b.WriteString(")")
	if haveRange && (kind == "int" || kind == "float") {
		fmt.Fprintf(&b, " range %s..%s", strconv.FormatFloat(lo, 'g', 6, 64), strconv.FormatFloat(hi, 'g', 6, 64))
		if partial {
			fmt.Fprintf(&b, " in the first %d rows", len(rows))
		}
	}
	if kind == "text" && len(distinct) <= 10 && seen-empty >= 20 {
		fmt.Fprintf(&b, ", %d distinct", len(distinct))
	}
	if len(examples) > 0 {
		b.WriteString(" e.g. ")
		b.WriteString(strings.Join(examples, ", "))
	}
	return b.String()
}

// decimalRe is a plain decimal number (no underscores, hex, inf or nan,
// which strconv would also accept).
var decimalRe = regexp.MustCompile(`^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$`)

func valueKind(v string) string {
	if !decimalRe.MatchString(v) {
		switch strings.ToLower(v) {
		case "true", "false":
			return "bool"
		}
		if len(v) >= 10 && v[4] == '-' && v[7] == '-' {
			if _, err := strconv.Atoi(v[:4]); err == nil {
				return "date"
			}
		}
		return "text"
	}
	if _, err := strconv.ParseInt(v, 10, 64); err == nil {
		return "int"
	}
	return "float"
}

// cutLines cuts s to at most n bytes at a line boundary, saying so.
func cutLines(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const note = "... (cut for length)\n"
	if n <= len(note) {
		return ""
	}
	cut := s[:n-len(note)]
	if i := strings.LastIndexByte(cut, '\n'); i >= 0 {
		cut = cut[:i+1]
	} else {
		cut = ""
	}
	return cut + note
}
