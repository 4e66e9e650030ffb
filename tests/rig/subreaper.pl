#!/usr/bin/perl
# subreaper.pl exec CMD [ARGS...]
#     Marks this process a child subreaper (prctl PR_SET_CHILD_SUBREAPER; the
#     flag survives execve) and execs CMD: orphaned descendants of CMD are
#     re-parented to it instead of to PID 1.
# subreaper.pl run CMD [ARGS...]
#     Marks itself a child subreaper, runs CMD as its child and reaps every
#     descendant re-parented to it, until none is left; exits with CMD's
#     status. Used by the test rig so that nothing a host leaves behind (even
#     when its holder is killed) becomes a zombie under a PID 1 that does not
#     reap.
# Only perl-base (essential in Debian) is needed.
use strict;
use warnings;
use POSIX ();

my %prctl_nr = (x86_64 => 157, aarch64 => 167, i686 => 172, i386 => 172);
my $arch = (POSIX::uname())[4];
my $nr = $prctl_nr{$arch} or die "subreaper: unsupported architecture $arch\n";
my $mode = shift @ARGV // '';
@ARGV or die "usage: subreaper.pl exec|run CMD [ARGS...]\n";

# prctl(PR_SET_CHILD_SUBREAPER = 36, 1)
syscall($nr, 36, 1, 0, 0, 0) == 0
    or die "subreaper: prctl(PR_SET_CHILD_SUBREAPER): $!\n";

if ($mode eq 'exec') {
    exec { $ARGV[0] } @ARGV or die "subreaper: exec $ARGV[0]: $!\n";
} elsif ($mode eq 'run') {
    my $child = fork // die "subreaper: fork: $!\n";
    if ($child == 0) {
        exec { $ARGV[0] } @ARGV or die "subreaper: exec $ARGV[0]: $!\n";
    }
    # Pass SIGTERM/SIGINT/SIGHUP on to the command.
    for my $sig (qw(TERM INT HUP)) {
        $SIG{$sig} = sub { kill $sig, $child };
    }
    my $status = 0;
    while (1) {
        my $pid = waitpid(-1, 0);
        if ($pid > 0) {
            $status = $? if $pid == $child;
            next;
        }
        last if $!{ECHILD};
        # EINTR (a signal was passed on): wait again.
    }
    exit($status & 127 ? 128 + ($status & 127) : $status >> 8);
} else {
    die "usage: subreaper.pl exec|run CMD [ARGS...]\n";
}
