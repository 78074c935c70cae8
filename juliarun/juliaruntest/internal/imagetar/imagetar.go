// Package imagetar writes single-layer container images as tarballs that
// `ctr images import` (and `docker load`) accept, without a registry or a
// container engine.
package imagetar

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// File is one entry of an image's only layer.
type File struct {
	// Path inside the image, without a leading slash: "bin/busybox".
	Path string
	// Mode holds the permission bits; zero means 0644 (0755 for a Dir).
	Mode int64
	// Data is the file's content; or Source, a file on this machine to copy.
	Data   []byte
	Source string
	// Link makes the entry a symbolic link to Link.
	Link string
	// Dir makes the entry a directory.
	Dir bool
	// UID and GID own the entry.
	UID, GID int
}

// Config is the part of an image's configuration a pod sees.
type Config struct {
	Entrypoint []string
	Cmd        []string
	Env        []string
	User       string // "uid:gid"
	WorkingDir string
}

// Write writes the image ref (e.g. "juliaruntest.local/pause:v1") with one
// layer of files and the given configuration, for linux/amd64, as a docker
// image tarball at path. Directories a path needs are not made implicitly:
// list them as Dir entries before their files.
//
// go-containerregistry's mutate.ConfigFile is what sets the entrypoint,
// user, OS and architecture; `crane append --oci-empty-base` leaves them
// empty, which no runtime accepts for a sandbox (DESIGN.md, "A real node").
func Write(path, ref string, files []File, cfg Config) error {
	tag, err := name.NewTag(ref, name.WeakValidation)
	if err != nil {
		return fmt.Errorf("imagetar: image name %q: %w", ref, err)
	}
	layerTar, err := layer(files)
	if err != nil {
		return fmt.Errorf("imagetar: %s: %w", ref, err)
	}
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return fmt.Errorf("imagetar: %s: layer: %w", ref, err)
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		return fmt.Errorf("imagetar: %s: %w", ref, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("imagetar: %s: %w", ref, err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	cf.Config.Entrypoint = cfg.Entrypoint
	cf.Config.Cmd = cfg.Cmd
	cf.Config.Env = cfg.Env
	cf.Config.User = cfg.User
	cf.Config.WorkingDir = cfg.WorkingDir
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return fmt.Errorf("imagetar: %s: %w", ref, err)
	}
	if err := tarball.WriteToFile(path, tag, img); err != nil {
		return fmt.Errorf("imagetar: writing %s to %s: %w", ref, path, err)
	}
	return nil
}

// layer returns an uncompressed tar of files, in the order given, with a
// fixed modification time so the same files give the same digest.
func layer(files []File) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	seen := map[string]bool{}
	for _, f := range files {
		if f.Path == "" || f.Path[0] == '/' {
			return nil, fmt.Errorf("path %q: want a relative path", f.Path)
		}
		if seen[f.Path] {
			return nil, fmt.Errorf("path %q listed twice", f.Path)
		}
		seen[f.Path] = true
		hdr := &tar.Header{Name: f.Path, Mode: f.Mode, Uid: f.UID, Gid: f.GID, ModTime: epoch, Format: tar.FormatPAX}
		data := f.Data
		switch {
		case f.Dir:
			hdr.Typeflag, hdr.Name = tar.TypeDir, f.Path+"/"
			if hdr.Mode == 0 {
				hdr.Mode = 0o755
			}
		case f.Link != "":
			hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeSymlink, f.Link, 0o777
		default:
			if f.Source != "" {
				d, err := os.ReadFile(f.Source)
				if err != nil {
					return nil, err
				}
				data = d
			}
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(data))
			if hdr.Mode == 0 {
				hdr.Mode = 0o644
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := tw.Write(data); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
