from vocalborn.cli import main

main()
