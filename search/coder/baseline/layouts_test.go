package baseline_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Fabricated prepared layouts of real MLE-Bench competitions, with the
// file names their prepare.py writes (openai/mle-bench,
// mlebench/competitions/<id>/prepare.py), a few rows each. Each returns the
// files under <id>/prepared/{public,private}/ of a data root.

// competitionFiles are a fabricated competition's files, relative to the
// data root.
type competitionFiles map[string][]byte

func (f competitionFiles) write(tb testing.TB, root string) {
	tb.Helper()
	for name, b := range f {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// The CSV files of a prepared competition, relative to <id>/prepared/.
const (
	trainCSV   = "public/train.csv"
	testCSV    = "public/test.csv"
	sampleCSV  = "public/sample_submission.csv"
	answersCSV = "private/test.csv"
)

// tables fills a fabricated competition's CSV files row by row.
type tables map[string]*strings.Builder

// newTables starts the files of path, header pairs with their headers.
func newTables(pathHeaders ...string) tables {
	t := tables{}
	for i := 0; i+1 < len(pathHeaders); i += 2 {
		t[pathHeaders[i]] = &strings.Builder{}
		t[pathHeaders[i]].WriteString(pathHeaders[i+1] + "\n")
	}
	return t
}

// row appends a formatted row to the file at path.
func (t tables) row(path, format string, args ...any) { fmt.Fprintf(t[path], format, args...) }

// into adds the tables to f under the competition's prepared dir id.
func (t tables) into(f competitionFiles, id string) competitionFiles {
	for path, b := range t {
		f[id+path] = []byte(b.String())
	}
	return f
}

// pictureOf is a small image whose class shows in its colour and a bright
// square, so any family can tell the classes apart.
func pictureOf(rng *rand.Rand, class, size int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			v := uint8(40 + rng.IntN(30))
			c := color.NRGBA{v, v, v, 255}
			if class == 1 && x > size/4 && x < 3*size/4 && y > size/4 && y < 3*size/4 {
				c = color.NRGBA{220, 200, uint8(rng.IntN(60)), 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func encodeJPEG(tb testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(tb testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// zipOf zips name -> bytes, entries at the archive's root as MLE-Bench's
// compress (arcname relative to the folder) writes them.
func zipOf(tb testing.TB, files map[string][]byte) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, data := range files {
		w, err := zw.Create(name)
		if err != nil {
			tb.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// aerialCactus: public train.csv (id,has_cactus; ids are file names),
// train.zip and test.zip of 32x32 JPEGs at the archive root,
// sample_submission.csv (has_cactus 0.5); private test.csv.
func aerialCactus(tb testing.TB, n int) competitionFiles {
	const id = "aerial-cactus-identification/prepared/"
	rng := rand.New(rand.NewPCG(1, 2))
	t := newTables(trainCSV, "id,has_cactus", sampleCSV, "id,has_cactus", answersCSV, "id,has_cactus")
	trainImgs, testImgs := map[string][]byte{}, map[string][]byte{}
	for i := 0; i < n; i++ {
		y := i % 2
		name := fmt.Sprintf("%032x.jpg", rng.Uint64())
		img := encodeJPEG(tb, pictureOf(rng, y, 32))
		if i < n*4/5 {
			trainImgs[name] = img
			t.row(trainCSV, "%s,%d\n", name, y)
			continue
		}
		testImgs[name] = img
		t.row(sampleCSV, "%s,0.5\n", name)
		t.row(answersCSV, "%s,%d\n", name, y)
	}
	return t.into(competitionFiles{
		id + "public/train.zip": zipOf(tb, trainImgs),
		id + "public/test.zip":  zipOf(tb, testImgs),
	}, id)
}

// dogBreeds: public labels.csv (id,breed), train/<id>.jpg, test/<id>.jpg,
// sample_submission.csv with one probability column per breed; private
// test.csv one-hot.
func dogBreeds(tb testing.TB, n int) competitionFiles {
	const id = "dog-breed-identification/prepared/"
	breeds := []string{"affenpinscher", "beagle", "boxer"}
	rng := rand.New(rand.NewPCG(3, 4))
	const labelsCSV = "public/labels.csv"
	t := newTables(labelsCSV, "id,breed", sampleCSV, "id,"+strings.Join(breeds, ","), answersCSV, "id,"+strings.Join(breeds, ","))
	f := competitionFiles{}
	for i := 0; i < n; i++ {
		k := i % len(breeds)
		name := fmt.Sprintf("%016x", rng.Uint64())
		img := encodeJPEG(tb, pictureOf(rng, k%2, 24))
		if i < n*4/5 {
			f[id+"public/train/"+name+".jpg"] = img
			t.row(labelsCSV, "%s,%s\n", name, breeds[k])
			continue
		}
		f[id+"public/test/"+name+".jpg"] = img
		t.row(sampleCSV, "%s,%s\n", name, strings.Repeat("0.333333,", len(breeds)-1)+"0.333333")
		oh := []string{"0", "0", "0"}
		oh[k] = "1"
		t.row(answersCSV, "%s,%s\n", name, strings.Join(oh, ","))
	}
	return t.into(f, id)
}

// spookyWords are each author's favourite words.
var spookyWords = map[string][]string{
	"EAP": {"raven", "midnight", "dreary", "chamber", "ebony", "whisper"},
	"HPL": {"eldritch", "cyclopean", "abyss", "nameless", "tentacle", "madness"},
	"MWS": {"creature", "misery", "affection", "lake", "mountains", "despair"},
}

func spookySentence(rng *rand.Rand, author string) string {
	common := []string{"the", "of", "and", "a", "was", "in", "it", "that", "my", "upon", "night", "heart"}
	var w []string
	for j := 0; j < 8+rng.IntN(8); j++ {
		if rng.IntN(3) == 0 {
			w = append(w, spookyWords[author][rng.IntN(6)])
		} else {
			w = append(w, common[rng.IntN(len(common))])
		}
	}
	return strings.Join(w, " ") + "."
}

// spookyAuthors: public train.csv (id,text,author), test.csv (id,text),
// sample_submission.csv (id,EAP,HPL,MWS); private test.csv one-hot.
func spookyAuthors(tb testing.TB, n int) competitionFiles {
	const id = "spooky-author-identification/prepared/"
	authors := []string{"EAP", "HPL", "MWS"}
	rng := rand.New(rand.NewPCG(5, 6))
	t := newTables(trainCSV, "id,text,author", testCSV, "id,text", sampleCSV, "id,EAP,HPL,MWS", answersCSV, "id,EAP,HPL,MWS")
	for i := 0; i < n; i++ {
		a := authors[i%3]
		rid := fmt.Sprintf("id%05d", i)
		text := spookySentence(rng, a)
		if i < n*4/5 {
			t.row(trainCSV, "%s,\"%s\",%s\n", rid, text, a)
			continue
		}
		t.row(testCSV, "%s,\"%s\"\n", rid, text)
		t.row(sampleCSV, "%s,0.403493538995863,0.287808366106543,0.308698094897594\n", rid)
		oh := []string{"0", "0", "0"}
		oh[i%3] = "1"
		t.row(answersCSV, "%s,%s\n", rid, strings.Join(oh, ","))
	}
	return t.into(competitionFiles{}, id)
}

// jigsawToxic: public train.csv (id,comment_text and six 0/1 labels),
// test.csv (id,comment_text), sample_submission.csv (six columns of 0.5);
// private test.csv.
func jigsawToxic(tb testing.TB, n int) competitionFiles {
	const id = "jigsaw-toxic-comment-classification-challenge/prepared/"
	labels := "toxic,severe_toxic,obscene,threat,insult,identity_hate"
	rng := rand.New(rand.NewPCG(7, 8))
	t := newTables(trainCSV, "id,comment_text,"+labels, testCSV, "id,comment_text", sampleCSV, "id,"+labels, answersCSV, "id,"+labels)
	for i := 0; i < n; i++ {
		rid := fmt.Sprintf("%016x", rng.Uint64())
		// Every label has positives in train and test, as in the real data.
		text := spookySentence(rng, "MWS")
		y := "0,0,0,0,0,0"
		switch i % 4 {
		case 0:
			text, y = "you idiot "+text, "1,0,1,0,1,0"
		case 1:
			text, y = "i will hurt you "+text, "0,1,0,1,0,1"
		}
		if i < n*4/5 {
			t.row(trainCSV, "%s,\"%s\",%s\n", rid, text, y)
			continue
		}
		t.row(testCSV, "%s,\"%s\"\n", rid, text)
		t.row(sampleCSV, "%s,0.5,0.5,0.5,0.5,0.5,0.5\n", rid)
		t.row(answersCSV, "%s,%s\n", rid, y)
	}
	return t.into(competitionFiles{}, id)
}

// tgsSalt: public train.csv (id,rle_mask; empty masks as ""), depths.csv,
// train/images/<id>.png, train/masks/<id>.png, test/images/<id>.png,
// sample_submission.csv (rle_mask "1 1"); private test.csv.
func tgsSalt(tb testing.TB, n int) competitionFiles {
	const id = "tgs-salt-identification-challenge/prepared/"
	rng := rand.New(rand.NewPCG(9, 10))
	const depthsCSV = "public/depths.csv"
	t := newTables(trainCSV, "id,rle_mask", depthsCSV, "id,z", sampleCSV, "id,rle_mask", answersCSV, "id,rle_mask")
	f := competitionFiles{}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("%010x", rng.Uint64())
		img := encodePNG(tb, pictureOf(rng, i%2, 101))
		mask := ""
		if i%3 == 0 {
			mask = fmt.Sprintf("%d 20", 1+rng.IntN(500))
		}
		if i < n*4/5 {
			f[id+"public/train/images/"+name+".png"] = img
			f[id+"public/train/masks/"+name+".png"] = img
			t.row(trainCSV, "%s,%s\n", name, mask)
			t.row(depthsCSV, "%s,%d\n", name, 100+rng.IntN(800))
			continue
		}
		f[id+"public/test/images/"+name+".png"] = img
		t.row(sampleCSV, "%s,1 1\n", name)
		t.row(answersCSV, "%s,%s\n", name, mask)
	}
	return t.into(f, id)
}
