package dev.infopro.dl4j.cli;

/** Parsing of the tool's structured option values, with usage errors that say what is expected. */
final class Args {
    private Args() {
    }

    /** "resnet32" -> 32; depth must be 6n+2. */
    static int resnetDepth(String arch) {
        String a = arch.toLowerCase(java.util.Locale.ROOT);
        if (a.startsWith("resnet")) {
            try {
                int depth = Integer.parseInt(a.substring(6));
                if (depth >= 8 && (depth - 2) % 6 == 0) {
                    return depth;
                }
            } catch (NumberFormatException ignored) {
                // fall through to the usage error
            }
        }
        throw new UsageException("--arch " + arch + " is not a CIFAR ResNet: use resnetN with N = 6n+2, "
                + "e.g. resnet8, resnet20, resnet32, resnet56, resnet110");
    }

    /** "3x32x32" -> {3, 32, 32}. */
    static long[] chw(String spec) {
        String[] p = spec.toLowerCase(java.util.Locale.ROOT).split("x");
        try {
            if (p.length == 3) {
                long[] v = {Long.parseLong(p[0]), Long.parseLong(p[1]), Long.parseLong(p[2])};
                if (v[0] > 0 && v[1] > 0 && v[2] > 0) {
                    return v;
                }
            }
        } catch (NumberFormatException ignored) {
            // fall through to the usage error
        }
        throw new UsageException("--input " + spec + " is not CxHxW with positive sizes, e.g. 3x32x32");
    }
}
