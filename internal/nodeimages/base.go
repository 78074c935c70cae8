package nodeimages

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// base returns the cached base root file system and its layer, making
// both first if they are missing. They are keyed by the base recipe only,
// so a change to one image does not run debootstrap again.
func (b *builder) base(ctx context.Context) (string, layer, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", recipeVersion, Suite)
	for _, f := range []string{"files/setup/prelude.sh", "files/setup/base.sh"} {
		data, _ := fs.ReadFile(embedded, f)
		fmt.Fprintf(h, "%s %d\n", f, len(data))
		h.Write(data)
	}
	rootfs := filepath.Join(b.parent, "rootfs-"+Suite+"-"+hex.EncodeToString(h.Sum(nil))[:12])
	layerFile := rootfs + ".tar.gz"
	if _, err := os.Stat(rootfs); err != nil {
		if err := b.debootstrap(ctx, rootfs); err != nil {
			return "", layer{}, err
		}
	}
	if _, err := os.Stat(layerFile); err != nil {
		t := time.Now()
		tmp := layerFile + ".tmp"
		if err := writeLayer(ctx, rootfs, tmp); err != nil {
			return "", layer{}, err
		}
		if err := os.Rename(tmp, layerFile); err != nil {
			return "", layer{}, err
		}
		fmt.Fprintf(b.progress, "juliarun: wrote the base layer in %s\n", time.Since(t).Round(time.Second))
	}
	l, err := openLayer(layerFile, "debootstrap --variant=minbase "+Suite+" (juliarun base, slimmed)")
	return rootfs, l, err
}

// debootstrap makes the base root file system at rootfs.
func (b *builder) debootstrap(ctx context.Context, rootfs string) error {
	t := time.Now()
	srcs, err := readSources(aptSourcesDir, Suite)
	if err != nil {
		return err
	}
	m, err := mirror(srcs, Suite)
	if err != nil {
		return err
	}
	fmt.Fprintf(b.progress, "juliarun: debootstrap %s (minbase) from this machine's apt sources ...\n", Suite)
	tmp := b.path("rootfs")
	log, err := os.Create(b.path("logs", "debootstrap.log"))
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.CommandContext(ctx, "debootstrap", "--variant=minbase", "--components=main", Suite, tmp, m)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("debootstrap %s: %w\n%s", Suite, err, tailFile(log.Name()))
	}
	if err := os.WriteFile(filepath.Join(tmp, "etc/apt/sources.list"), []byte(sourcesList(srcs)), 0o644); err != nil {
		return err
	}
	c := plainChroot(tmp)
	err = c.prepare("", "")
	if err == nil {
		err = c.run(ctx, script("files/setup/base.sh"), log)
		if err != nil {
			err = fmt.Errorf("preparing the base: %w\n%s", err, tailFile(log.Name()))
		}
	}
	if cerr := c.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// debootstrap made device nodes; the runtime gives each container its own /dev.
	devs, _ := os.ReadDir(filepath.Join(tmp, "dev"))
	for _, d := range devs {
		if err := os.RemoveAll(filepath.Join(tmp, "dev", d.Name())); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, rootfs); err != nil {
		return err
	}
	fmt.Fprintf(b.progress, "juliarun: made the %s base in %s\n", Suite, time.Since(t).Round(time.Second))
	return nil
}
