# bash completion for ignis(8)                                 -*- shell-script -*-
# SPDX-License-Identifier: Apache-2.0
#
# Subcommands, their options, stage names, platform ids, and config files
# (*.ign, *.json) as arguments. tests/docs/check-docs.py checks that every
# option `ignis COMMAND --help` prints is offered here.

_ignis_commands="validate apply run plan fetch-config report version"

_ignis_options() {
    case $1 in
        validate) echo "--strict --json --summary --help" ;;
        apply) echo "--root= --strict --ignore-unsupported --no-target-programs --offline --quiet -q --help" ;;
        run) echo "--stage= --platform= --root= --config-cache= --device-timeout= --help" ;;
        plan) echo "--json --strict --help" ;;
        fetch-config) echo "--platform= --output= -o --cmdline-file= --help" ;;
        report) echo "--platform= --result= --summary= --state-dir= --help" ;;
        "") echo "--help --version" ;;
    esac
}

_ignis_stages="fetch-offline fetch kargs disks mount files umount"
_ignis_platforms="akamai aliyun applehv aws azure azurestack brightbox cloudstack
digitalocean exoscale file gcp hetzner hyperv ibmcloud kubevirt metal nutanix
nvidiabluefield openstack oraclecloud packet powervs proxmoxve qemu scaleway
upcloud virtualbox vmware vultr zvm"

_ignis() {
    local cur prev words cword split cmd i
    _init_completion -s || return

    cmd=
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            -*) ;;
            *) cmd=${words[i]}; break ;;
        esac
    done

    case $prev in
        --stage)
            mapfile -t COMPREPLY < <(compgen -W "$_ignis_stages" -- "$cur")
            return ;;
        --platform)
            mapfile -t COMPREPLY < <(compgen -W "$_ignis_platforms auto" -- "$cur")
            return ;;
        --root | --state-dir)
            _filedir -d
            return ;;
        --result)
            mapfile -t COMPREPLY < <(compgen -W "ok failed" -- "$cur")
            return ;;
        --config-cache | -o | --output | --cmdline-file)
            _filedir
            return ;;
    esac
    $split && return

    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$(_ignis_options "")" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$_ignis_commands" -- "$cur")
        fi
        return
    fi

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_ignis_options "$cmd")" -- "$cur")
        [[ ${COMPREPLY-} == *= ]] && compopt -o nospace
        return
    fi

    case $cmd in
        validate | apply | plan | fetch-config)
            # Configs: Ignition's .ign and plain .json.
            _filedir '@(ign|json)' ;;
    esac
} &&
    complete -F _ignis ignis
