package dev.infopro.dl4j.cli;

/** A usage mistake found after parsing (e.g. a data directory that does not exist): exit code 2, one line. */
public class UsageException extends RuntimeException {
    /** @param message what is wrong and how to fix it, in one line */
    public UsageException(String message) {
        super(message);
    }

    /**
     * The tool's one range check for a numeric option, so every command names the option, the value it got and
     * what it takes in the same words.
     *
     * @param option the option as the user typed it, e.g. {@code --batch}
     * @param value  the value given
     * @param min    the smallest value allowed
     * @throws UsageException when {@code value < min}
     */
    static void requireAtLeast(String option, long value, long min) {
        if (value < min) {
            throw new UsageException(option + " " + value + " is too small: use " + min + " or more");
        }
    }
}
