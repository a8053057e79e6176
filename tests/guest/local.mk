# the test guest: a freestanding Multiboot image
