package baseline

import (
	"archive/zip"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Modality is what a task's examples are: rows of a table, images, or
// text. A task the baseline cannot model is ModalityOther.
type Modality string

// The modalities.
const (
	ModalityTabular Modality = "tabular"
	ModalityImage   Modality = "image"
	ModalityText    Modality = "text"
	// ModalityOther: audio, video, volumes, sequences, or a layout the
	// inspector does not recognise. The baseline writes a fallback.
	ModalityOther Modality = "other"
)

// ImageSource says where the image files of one split are.
type ImageSource struct {
	// Archive is a zip file of the data directory that holds the images;
	// the generated code extracts it into its working directory (never
	// into the read-only data). "" when the images are plain files.
	Archive string `json:"archive,omitempty"`
	// Dir is the folder holding the files: relative to the data directory,
	// or inside Archive ("" is its root).
	Dir string `json:"dir"`
	// Ext is appended to the image column's value to name the file ("" when
	// the values are file names already).
	Ext string `json:"ext,omitempty"`
}

// Images ties the rows of an image task to their files.
type Images struct {
	// Column is the train/test (or sample submission) column naming the
	// image of a row.
	Column string      `json:"column"`
	Train  ImageSource `json:"train"`
	Test   ImageSource `json:"test"`
}

// imageExts are the formats PIL decodes without extra packages.
var imageExts = []string{".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".gif", ".webp"}

// mediaKinds name the files the baseline sees but cannot model, for the
// fallback's reason.
var mediaKinds = map[string]string{
	".wav": "audio", ".flac": "audio", ".mp3": "audio", ".aif": "audio", ".aiff": "audio", ".ogg": "audio",
	".dcm": "DICOM images", ".nii": "volumes", ".npy": "arrays", ".npz": "arrays", ".h5": "arrays",
	".hdf5": "arrays", ".parquet": "tables", ".mp4": "video", ".avi": "video", ".json": "JSON records",
	".tfrecord": "TFRecords", ".pkl": "pickles", ".txt": "text files",
}

// container is a folder (on disk, or inside a zip) that holds files.
type container struct {
	archive string // zip path relative to the data dir, "" for a folder
	dir     string // folder: relative to the data dir, or inside the zip
	names   map[string]bool
	images  int
}

// maxListed bounds the entries read per folder or archive, so a data
// directory of millions of files is inspected in bounded time and memory.
const maxListed = 300000

// scanContainers lists the folders (to depth 3) and zip archives of the
// public dir that hold image files, and the extensions of other media.
func scanContainers(public string) ([]*container, map[string]int, error) {
	media := map[string]int{}
	var out []*container
	byDir := map[string]*container{}
	listed := 0
	err := filepath.WalkDir(public, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == public {
				return err
			}
			return nil // unreadable subfolder: skip it
		}
		rel, _ := filepath.Rel(public, p)
		if d.IsDir() {
			if rel != "." && strings.Count(rel, string(filepath.Separator)) >= 3 {
				return filepath.SkipDir
			}
			return nil
		}
		if listed >= maxListed {
			return filepath.SkipAll
		}
		listed++
		ext := strings.ToLower(filepath.Ext(d.Name()))
		if ext == ".zip" {
			zs, err := zipContainers(public, rel, media)
			if err == nil {
				out = append(out, zs...)
			}
			return nil
		}
		noteMedia(media, ext)
		if !slices.Contains(imageExts, ext) {
			return nil
		}
		dir := filepath.ToSlash(filepath.Dir(rel))
		if dir == "." {
			dir = ""
		}
		c := byDir[dir]
		if c == nil {
			c = &container{dir: dir, names: map[string]bool{}}
			byDir[dir] = c
			out = append(out, c)
		}
		c.names[d.Name()] = true
		c.images++
		return nil
	})
	if err != nil && !errors.Is(err, filepath.SkipAll) {
		return nil, media, err
	}
	return out, media, nil
}

func noteMedia(media map[string]int, ext string) {
	if _, ok := mediaKinds[ext]; ok {
		media[ext]++
	}
}

// zipContainers reads a zip's central directory (not its data) and groups
// its image entries by folder.
func zipContainers(public, rel string, media map[string]int) ([]*container, error) {
	zr, err := zip.OpenReader(filepath.Join(public, rel))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	byDir := map[string]*container{}
	var out []*container
	for i, f := range zr.File {
		if i >= maxListed {
			break
		}
		name := strings.TrimPrefix(f.Name, "./")
		if strings.HasSuffix(name, "/") || strings.HasPrefix(name, "__MACOSX/") {
			continue
		}
		ext := strings.ToLower(path.Ext(name))
		noteMedia(media, ext)
		if !slices.Contains(imageExts, ext) {
			continue
		}
		dir := path.Dir(name)
		if dir == "." {
			dir = ""
		}
		c := byDir[dir]
		if c == nil {
			c = &container{archive: filepath.ToSlash(rel), dir: dir, names: map[string]bool{}}
			byDir[dir] = c
			out = append(out, c)
		}
		c.names[path.Base(name)] = true
		c.images++
	}
	return out, nil
}

// match returns the share of values naming a file of c, and the extension
// to append to them ("" when they are file names).
func (c *container) match(values []string) (float64, string) {
	if len(values) == 0 {
		return 0, ""
	}
	best, bestExt := 0, ""
	for _, ext := range append([]string{""}, imageExts...) {
		n := 0
		for _, v := range values {
			v = path.Base(strings.ReplaceAll(v, "\\", "/"))
			if c.names[v+ext] || (ext != "" && c.names[v+strings.ToUpper(ext)]) {
				n++
			}
		}
		if n > best {
			best, bestExt = n, ext
			if !c.names[values[0]+ext] && c.names[values[0]+strings.ToUpper(ext)] {
				bestExt = strings.ToUpper(ext)
			}
		}
	}
	return float64(best) / float64(len(values)), bestExt
}

// imageColumnHints are column names that usually name an image.
var imageColumnHints = []string{"image", "img", "file", "path", "name", "id"}

// findImages ties train and test rows to image files: the first column (the
// id first, then columns whose names suggest an image) whose values name
// files of some folder or archive for most train rows and most test rows.
// It returns nil when no column does.
func findImages(conts []*container, idCol string, train, test *columns) *Images {
	if len(conts) == 0 || train == nil || test == nil {
		return nil
	}
	var cols []string
	if idCol != "" {
		cols = append(cols, idCol)
	}
	for _, c := range train.header {
		lc := strings.ToLower(c)
		if c == idCol || test.index == nil {
			continue
		}
		if _, ok := test.index[c]; !ok {
			continue
		}
		for _, h := range imageColumnHints {
			if strings.Contains(lc, h) {
				cols = append(cols, c)
				break
			}
		}
	}
	for _, col := range cols {
		tr, okTr := bestContainer(conts, train.values(col))
		te, okTe := bestContainer(conts, test.values(col))
		if okTr && okTe {
			return &Images{Column: col, Train: tr, Test: te}
		}
	}
	return nil
}

// bestContainer is the folder or archive naming the most values (at least
// half of them).
func bestContainer(conts []*container, values []string) (ImageSource, bool) {
	if len(values) > 200 {
		values = values[:200]
	}
	var best ImageSource
	bestShare := 0.0
	for _, c := range conts {
		share, ext := c.match(values)
		if share > bestShare {
			bestShare = share
			best = ImageSource{Archive: c.archive, Dir: c.dir, Ext: ext}
		}
	}
	return best, bestShare >= 0.5
}

// textColumns are the feature columns holding free text: mostly non-numeric,
// several words per value on average, and mostly distinct values.
func textColumns(feats *columns, names []string) []string {
	var out []string
	for _, c := range names {
		vals := feats.values(c)
		var n, chars, words, numeric int
		seen := map[string]bool{}
		for _, v := range vals {
			if missingCell(v) {
				continue
			}
			n++
			chars += len(v)
			words += len(strings.Fields(v))
			seen[v] = true
			if looksNumber(v) {
				numeric++
			}
		}
		if n == 0 || numeric*2 > n {
			continue
		}
		if float64(chars)/float64(n) >= 20 && float64(words)/float64(n) >= 3 && float64(len(seen)) >= 0.3*float64(n) {
			out = append(out, c)
		}
	}
	return out
}

// mediaReason describes media files found in a layout the baseline cannot
// model, for the fallback's reason.
func mediaReason(media map[string]int) string {
	var kinds []string
	for ext := range media {
		k := mediaKinds[ext]
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	slices.Sort(kinds)
	if len(kinds) == 0 {
		return ""
	}
	return "the data holds " + strings.Join(kinds, ", ") + ", which no baseline family reads"
}

// discoverSample finds the sample submission when the usual name is
// absent: a CSV whose name says sample or submission (MLE-Bench uses
// sample_submission.csv, sampleSubmission.csv, sample_submission_null.csv,
// kaggle_sample_submission.csv, randomPredictions.csv).
func discoverSample(public string) string {
	entries, err := os.ReadDir(public)
	if err != nil {
		return ""
	}
	var cands []string
	for _, e := range entries {
		n := e.Name()
		ln := strings.ToLower(n)
		if e.IsDir() || !strings.HasSuffix(ln, ".csv") {
			continue
		}
		if strings.Contains(ln, "sample") || strings.Contains(ln, "submission") || strings.Contains(ln, "prediction") {
			cands = append(cands, n)
		}
	}
	slices.SortFunc(cands, func(a, b string) int { return len(a) - len(b) })
	if len(cands) == 0 {
		return ""
	}
	return cands[0]
}

// discoverTrain finds the training table when there is no train.csv: a CSV
// (not the test or sample file) that has the sample's id column, preferring
// names that say train or label (dog-breed-identification's labels.csv,
// train_labels.csv).
func discoverTrain(public string, exclude []string, idCol string) string {
	entries, err := os.ReadDir(public)
	if err != nil {
		return ""
	}
	best, bestRank := "", 99
	for _, e := range entries {
		n := e.Name()
		ln := strings.ToLower(n)
		if e.IsDir() || !strings.HasSuffix(ln, ".csv") || slices.Contains(exclude, n) || strings.Contains(ln, "test") {
			continue
		}
		hdr, err := readHeader(filepath.Join(public, n))
		if err != nil || (idCol != "" && !slices.Contains(hdr, idCol)) || len(hdr) < 2 {
			continue
		}
		rank := 3
		switch {
		case strings.Contains(ln, "train"):
			rank = 1
		case strings.Contains(ln, "label"):
			rank = 2
		}
		if rank < bestRank || (rank == bestRank && n < best) {
			best, bestRank = n, rank
		}
	}
	return best
}

// inferModality finds the features: image files named by a column, free-text
// columns, or plain table columns (typed by the first train rows).
func (p *Profile) inferModality(t Task, paths map[string]string) error {
	terr := func(path, format string, a ...any) error {
		return &TaskError{Task: t.ID, Path: path, Reason: fmt.Sprintf(format, a...)}
	}
	trainPath := paths[p.trainFile]
	testPath := paths[p.sampleFile]
	if p.testFile != "" {
		testPath = paths[p.testFile]
	}
	conts, media, err := scanContainers(t.PublicDir)
	if err != nil {
		return fmt.Errorf("inspect task %s: %w", t.ID, err)
	}
	trainHdr, err := readHeader(trainPath)
	if err != nil {
		return fmt.Errorf("inspect task %s: %w", t.ID, err)
	}
	testHdr, err := readHeader(testPath)
	if err != nil {
		return fmt.Errorf("inspect task %s: %w", t.ID, err)
	}
	if len(conts) > 0 {
		trainHead, err := readColumns(trainPath, nil, 200)
		if err != nil {
			return fmt.Errorf("inspect task %s: %w", t.ID, err)
		}
		testHead, err := readColumns(testPath, nil, 200)
		if err != nil {
			return fmt.Errorf("inspect task %s: %w", t.ID, err)
		}
		p.Images = findImages(conts, p.IDColumn, trainHead, testHead)
	}
	exclude := set(p.Targets)
	exclude[p.IDColumn] = true
	exclude[p.LabelColumn] = true
	if p.Images != nil {
		exclude[p.Images.Column] = true
		p.Modality = ModalityImage
	}
	inTest := set(testHdr)
	if p.testFile == "" {
		inTest = map[string]bool{} // the sample holds ids and targets only
	}
	for _, c := range trainHdr {
		if inTest[c] && !exclude[c] {
			p.Features = append(p.Features, c)
		}
	}
	if len(p.Features) == 0 && p.Images == nil {
		test := p.testFile
		if test == "" {
			test = "the sample submission (no test table)"
		}
		reason := fmt.Sprintf("no feature columns shared by %s and %s and no image files named by a column", p.trainFile, test)
		if m := mediaReason(media); m != "" {
			reason += "; " + m
		}
		return terr(trainPath, "%s", reason)
	}
	if len(p.Features) == 0 {
		return nil
	}
	feats, err := readColumns(trainPath, p.Features, featureRows)
	if err != nil {
		return fmt.Errorf("inspect task %s: %w", t.ID, err)
	}
	p.TextColumns = textColumns(feats, p.Features)
	if len(p.TextColumns) > 0 && p.Modality == "" {
		p.Modality = ModalityText
	}
	if p.Modality == "" {
		p.Modality = ModalityTabular
	}
	for _, c := range p.Features {
		if slices.Contains(p.TextColumns, c) {
			continue
		}
		numeric := true
		for _, v := range feats.values(c) {
			if missingCell(v) {
				p.HasMissing = true
				continue
			}
			if !looksNumber(v) {
				numeric = false
			}
		}
		if numeric {
			p.Numeric = append(p.Numeric, c)
		} else {
			p.Categorical = append(p.Categorical, c)
		}
	}
	return nil
}
