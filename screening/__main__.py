"""``python -m screening`` is the same as the ``screening`` command."""

from screening.entry import main

main()
