"""The package version, at ground level: the modules that record it (model files, dataset
cards, run manifests) import it from here, never from the package root, whose public API
(`curation.clean`, `curation.label_page`) sits above every other part."""

__version__ = "0.1.0"
