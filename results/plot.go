package results

import (
	"errors"
	"fmt"
	"github.com/mlbench/mlbench/internal/atomicfile"
	"io"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// ErrPlotFormat is returned for a plot file name without a supported
// extension.
var ErrPlotFormat = errors.New("results: plot file must end in .svg, .png or .pdf")

// seriesName names a run (and sweep group) in legends.
func seriesName(run, by, group string) string {
	if by == "" {
		return run
	}
	return fmt.Sprintf("%s %s=%s", run, by, group)
}

// MedalPlot draws the any-medal rate per split as grouped bars, one bar per
// run (and sweep group), with ±SEM error bars. A split a run has no task in
// gets no bar.
func MedalPlot(rep *Report) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Any-medal rate per split (mean ± SEM over seeds)"
	p.Y.Label.Text = "any medal %"
	var order []string
	index := map[string]int{}
	for _, m := range rep.Medals {
		name := seriesName(m.Run, rep.By, m.Group)
		if _, ok := index[name]; !ok {
			index[name] = len(order)
			order = append(order, name)
		}
	}
	if len(order) == 0 {
		return nil, errors.New("results: nothing to plot (no medal rows)")
	}
	splitIndex := map[string]int{}
	for i, s := range Splits {
		splitIndex[s] = i
	}
	// Bars of one split sit side by side within 0.8 of an x unit; their
	// width is given in points, so size it for the default 8-inch width.
	step := 0.8 / float64(len(order))
	width := vg.Points(math.Min(40, 0.9*440/float64(len(Splits))*step))
	legend := map[string]bool{}
	for _, m := range rep.Medals {
		if math.IsNaN(m.AnyMedal.Mean) {
			continue
		}
		name := seriesName(m.Run, rep.By, m.Group)
		k := index[name]
		bar, err := plotter.NewBarChart(plotter.Values{m.AnyMedal.Mean}, width)
		if err != nil {
			return nil, fmt.Errorf("plot medals: %w", err)
		}
		bar.XMin = float64(splitIndex[m.Split]) - 0.4 + step*(float64(k)+0.5)
		bar.Color = plotutil.Color(k)
		bar.LineStyle.Width = 0
		p.Add(bar)
		if !legend[name] {
			p.Legend.Add(name, bar)
			legend[name] = true
		}
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYs
			plotter.YErrors
		}{plotter.XYs{{X: bar.XMin, Y: m.AnyMedal.Mean}}, plotter.YErrors{{Low: m.AnyMedal.SEM, High: m.AnyMedal.SEM}}})
		if err != nil {
			return nil, fmt.Errorf("plot medals: %w", err)
		}
		p.Add(eb)
	}
	p.NominalX(Splits...)
	p.X.Min, p.X.Max = -0.5, float64(len(Splits))-0.5 // every split, even one without bars
	percentAxis(p, len(order))
	p.Add(plotter.NewGrid())
	return p, nil
}

// percentAxis labels 0..100 % and leaves headroom above 100 for a legend of
// n entries in the top left corner.
func percentAxis(p *plot.Plot, n int) {
	p.Y.Min, p.Y.Max = 0, 100+7*float64(n)
	p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0"}, {Value: 25, Label: "25"},
		{Value: 50, Label: "50"}, {Value: 75, Label: "75"}, {Value: 100, Label: "100"}})
	p.Legend.Top, p.Legend.Left = true, true
}

// AnytimePlot draws any-medal % against elapsed hours for one split, one
// line per run (and sweep group), with ±SEM error bars.
func AnytimePlot(rows []AnytimeRow, by, split string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Anytime any-medal rate (%s split)", split)
	p.X.Label.Text = "elapsed hours"
	p.Y.Label.Text = "any medal %"
	p.X.Min = 0
	var order []string
	series := map[string]plotter.XYs{}
	errs := map[string]plotter.YErrors{}
	for _, r := range rows {
		if r.Split != split || math.IsNaN(r.AnyMedal.Mean) {
			continue
		}
		name := seriesName(r.Run, by, r.Group)
		if _, ok := series[name]; !ok {
			order = append(order, name)
		}
		series[name] = append(series[name], plotter.XY{X: r.Hours, Y: r.AnyMedal.Mean})
		errs[name] = append(errs[name], struct{ Low, High float64 }{r.AnyMedal.SEM, r.AnyMedal.SEM})
	}
	if len(order) == 0 {
		return nil, fmt.Errorf("results: nothing to plot (no anytime rows for split %s)", split)
	}
	for k, name := range order {
		line, points, err := plotter.NewLinePoints(series[name])
		if err != nil {
			return nil, fmt.Errorf("plot anytime: %w", err)
		}
		line.Color, points.Color = plotutil.Color(k), plotutil.Color(k)
		points.Shape = plotutil.Shape(k)
		p.Add(line, points)
		p.Legend.Add(name, line, points)
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYs
			plotter.YErrors
		}{series[name], errs[name]})
		if err != nil {
			return nil, fmt.Errorf("plot anytime: %w", err)
		}
		eb.Color = plotutil.Color(k)
		p.Add(eb)
	}
	percentAxis(p, len(order))
	p.Add(plotter.NewGrid())
	return p, nil
}

// SavePlot writes the report's plots to path (.svg, .png or .pdf): the
// medal chart, with the anytime curves of the "all" split below it when
// the report has them. The file is written atomically.
func SavePlot(path string, rep *Report) error {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	var plots []*plot.Plot
	if len(rep.Medals) > 0 {
		p, err := MedalPlot(rep)
		if err != nil {
			return err
		}
		plots = append(plots, p)
	}
	if len(rep.Anytime) > 0 {
		p, err := AnytimePlot(rep.Anytime, rep.By, SplitAll)
		if err != nil {
			return err
		}
		plots = append(plots, p)
	}
	if len(plots) == 0 {
		return errors.New("results: nothing to plot")
	}
	w, h := 8*vg.Inch, vg.Length(len(plots))*4.5*vg.Inch
	var c vg.CanvasWriterTo
	switch ext {
	case "svg":
		c = vgsvg.New(w, h)
	case "png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(150))}
	case "pdf":
		c = vgpdf.New(w, h)
	default:
		return fmt.Errorf("%w: %s", ErrPlotFormat, path)
	}
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadX: vg.Millimeter, PadY: 4 * vg.Millimeter,
		PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 2 * vg.Millimeter}
	grid := make([][]*plot.Plot, len(plots))
	for i, p := range plots {
		grid[i] = []*plot.Plot{p}
	}
	canvases := plot.Align(grid, tiles, dc)
	for i, p := range plots {
		p.Draw(canvases[i][0])
	}
	return atomicfile.Write(path, 0o644, func(f io.Writer) error {
		_, err := c.WriteTo(f)
		return err
	})
}
