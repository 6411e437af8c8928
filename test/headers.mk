# Every kernel header compiles on its own: it includes what it needs, so a
# file includes the headers of the subsystems it calls and nothing else.
headers-check:
	@for h in $(wildcard $K/*.h $K/*/*.h); do \
	  echo "#include \"$$h\"" | $(CC) -Wall -Werror -ffreestanding -I. -Wundef \
	    -fsyntax-only -x c - || { echo "headers-check: $$h does not compile alone"; exit 1; }; \
	done

.PHONY: headers-check

# Calls go down the layers kernel/'s folders draw (test/layers.py), and the
# check itself refuses an upward call and a loop.
layers-check: $(KERNEL)
	@python3 test/layers.py --self-test
	@python3 test/layers.py

.PHONY: layers-check
