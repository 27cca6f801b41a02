#!/usr/bin/perl
# Batch driver for Mail::SRS::Guarded (Debian libmail-srs-perl), used by srs-postsrsd.test.ts.
# stdin: {"secrets":[...],"domain":"...","requests":[{"op":"forward"|"reverse","address":"..."}]}
# stdout: [{"ok":true,"address":"..."} | {"ok":false,"message":"..."}, ...] in request order.
use strict;
use warnings;
use JSON::PP;
use Mail::SRS::Guarded;

local $/;
my $in = decode_json(<STDIN>);
my $srs = Mail::SRS::Guarded->new(
  Secret     => $in->{secrets},
  MaxAge     => 21,
  HashLength => 4,
  HashMin    => 4,
  Separator  => '=',
);
my @out;
for my $req (@{ $in->{requests} }) {
  my $result = eval {
    $req->{op} eq 'forward' ? $srs->forward($req->{address}, $in->{domain}) : $srs->reverse($req->{address});
  };
  if (defined $result) {
    push @out, { ok => JSON::PP::true, address => $result };
  } else {
    my $err = $@ || 'no result';
    $err =~ s/ at \S+ line \d+.*//s;
    push @out, { ok => JSON::PP::false, message => $err };
  }
}
print encode_json(\@out);
