"""`python -m looped.cli`: the same as the `looped` command."""

from looped.cli import main

main()
