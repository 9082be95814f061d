"""The trained cleaner: a segment classifier over structure, text and context features that
stacks on the rules' votes (cleaner.py); train and clean (run.py), cross-validate by site
(cv.py). Submodules are imported where used: scikit-learn is slow to import for the CLI."""
