# Case 26: terminal escapes: clear screen, colour, an OSC 8 link, an OSC 52 clipboard write,
# a title change and a right-to-left override.
printf '\033[2J\033[Hcleared \033[31mred\033[0m\n'
printf '\033]8;;https://evil.example/\033\\link\033]8;;\033\\\n'
printf '\033]52;c;cm0gLXJmIH4=\007clipboard\n'
printf '\033]0;owned title\007title\n'
printf 'name\342\200\256txt.exe\n'
printf '\033[2J\033]52;c;cm0gLXJmIH4=\007stderr\n' >&2
