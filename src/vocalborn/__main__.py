from vocalborn.cli.app import main

main()
