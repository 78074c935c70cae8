package nodeimages

import (
	"fmt"
	"runtime"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// layer is a layer tarball on disk and what made it, for the image history.
type layer struct {
	layer     v1.Layer
	createdBy string
}

func openLayer(path, createdBy string) (layer, error) {
	l, err := tarball.LayerFromFile(path)
	if err != nil {
		return layer{}, fmt.Errorf("opening layer %s: %w", path, err)
	}
	return layer{layer: l, createdBy: createdBy}, nil
}

// writeImage writes the image made of layers with the recipe's config as a
// docker-archive tarball at dst, tagged with the recipe's reference.
func writeImage(r recipe, layers []layer, dst string, created time.Time) error {
	tag, err := name.NewTag(r.Ref)
	if err != nil {
		return fmt.Errorf("image reference %q: %w", r.Ref, err)
	}
	var adds []mutate.Addendum
	for _, l := range layers {
		adds = append(adds, mutate.Addendum{Layer: l.layer, History: v1.History{
			Created: v1.Time{Time: created}, CreatedBy: l.createdBy, Comment: r.Doc}})
	}
	img, err := mutate.Append(empty.Image, adds...)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Created = v1.Time{Time: created}
	cf.Config = r.Cfg
	cf.Config.Labels = map[string]string{
		"io.juliarun.image":  r.Name,
		"io.juliarun.recipe": Key(),
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return err
	}
	if err := tarball.WriteToFile(dst, tag, img); err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	return nil
}
