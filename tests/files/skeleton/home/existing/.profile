# ~/.profile from the ignis test skeleton
PATH="$HOME/bin:$PATH"
