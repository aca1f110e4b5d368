package slurm

import (
	"reflect"
	"testing"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/internal/filled"
)

// TestEverySlurmKeyReachesTheScript: each slurm.* key changes the sbatch
// script it is for. A key dropped between the config and the script
// would submit every array of a cluster run with the site's defaults
// (partition, account, time) instead of the user's, silently.
func TestEverySlurmKeyReachesTheScript(t *testing.T) {
	dir := t.TempDir()
	build := func(c configs.Slurm) any {
		s := &Slurm{Config: &configs.Config{Slurm: c}, Binary: "/usr/bin/true", WorkDir: dir}
		sc, err := s.scriptBase(dir+"/run", "run-1")
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	unset := build(configs.Slurm{})
	for _, key := range filled.Fields(&configs.Slurm{}) {
		var c configs.Slurm
		if err := filled.One(&c, key); err != nil {
			t.Fatal(err)
		}
		if reflect.DeepEqual(build(c), unset) {
			t.Errorf("slurm.%s does not reach the sbatch script", key)
		}
	}
}
