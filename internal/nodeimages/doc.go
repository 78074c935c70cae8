// Package nodeimages builds the small local container images that the test
// kit's real node runs, without a registry: a Julia stand-in image, and
// images with Debian's nginx, RabbitMQ and Jupyter laid out like the
// official images the job types default to. docs/IMAGES.md lists each image
// and each difference from the image it stands in for.
//
// Ensure builds them once, as root, into a cache directory outside the
// checkout keyed by the recipe (Dir), and returns docker-archive tarballs
// that `ctr -n k8s.io images import` loads, each tagged with one of the
// reference constants (JuliaStandIn, Nginx, RabbitMQ, JuliaNotebook). Later
// calls return at once.
//
// How: debootstrap makes a Debian minbase root file system from the apt
// archive this machine's apt sources name (cached, shared by every image as
// its first layer); each image's packages are installed with apt-get in a
// chroot on an overlay over that base, and the overlay's upper directory
// becomes the image's second layer. go-containerregistry writes the
// tarballs. Nothing is fetched from anywhere but Debian's archive and, for
// the stand-in julia (a static Go program compiled from this package's
// standin directory), the local Go toolchain.
//
// The package is Linux-only (mounts, chroot), like the real node it serves.
//
// The stand-in julia is NOT Julia: it records how it was started and acts
// out a few behaviours tests need (see standin/main.go).
package nodeimages
